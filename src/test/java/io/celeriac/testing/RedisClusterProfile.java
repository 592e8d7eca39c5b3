package io.celeriac.testing;

import java.util.List;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Results on a three-primary Redis Cluster instead of one Redis. */
public class RedisClusterProfile implements QuarkusTestProfile {

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(RedisCluster.class));
    }
}
