package io.celeriac.testing;

import java.util.List;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Tasks on a two-node RabbitMQ cluster, in quorum queues, instead of one broker with classic queues. */
public class RabbitClusterProfile implements QuarkusTestProfile {

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(RabbitCluster.class));
    }
}
