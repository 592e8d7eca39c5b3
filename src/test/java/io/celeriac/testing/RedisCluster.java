package io.celeriac.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A Redis Cluster of three primaries on free ports (scripts/lib/redis-cluster.sh), started for real; the app talks to
 * it as a cluster client. Ordered after the shared resource, whose standalone Redis it replaces for the profile.
 */
public class RedisCluster implements QuarkusTestResourceLifecycleManager {

    private Path dir;

    @Override
    public Map<String, String> start() {
        dir = LocalServer.workDir("redis-cluster");
        List<Object> args = new ArrayList<>(List.of("start", dir, 0));
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int port = LocalServer.freePort();
            args.add(port);
            hosts.add("redis://127.0.0.1:" + port);
        }
        LocalServer.run("redis-cluster.sh", args.toArray());
        return Map.of("quarkus.redis.hosts", String.join(",", hosts), "quarkus.redis.client-type", "cluster");
    }

    @Override
    public int order() {
        return 1000;
    }

    @Override
    public void stop() {
        if (dir != null) {
            LocalServer.run("redis-cluster.sh", "stop", dir);
        }
    }
}
