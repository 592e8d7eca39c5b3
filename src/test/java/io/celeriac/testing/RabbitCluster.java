package io.celeriac.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A RabbitMQ cluster of two nodes on free ports (scripts/lib/rabbitmq-cluster.sh) with Celeriac's queues as quorum
 * queues, started for real. The app gets the nodes as {@code celeriac.broker.addresses}, after an address where no
 * node listens (a node that is down). Ordered after the shared resource, whose single broker it replaces for the
 * profile.
 */
public class RabbitCluster implements QuarkusTestResourceLifecycleManager {

    /** Marks a {@code Map<String, String>} field that wants {@link #FIRST_NODE_DIR} and the app's settings. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Nodes {
    }

    public static final String FIRST_NODE_DIR = "test.rabbitmq-cluster.first-node-dir";

    private Path dir;
    private Map<String, String> nodes;

    @Override
    public Map<String, String> start() {
        dir = LocalServer.workDir("rabbitmq-cluster");
        List<Object> args = new ArrayList<>(List.of("start", dir,
                LocalServer.scripts().resolve("../../docker/rabbitmq/definitions-quorum.json").normalize()));
        List<String> addresses = new ArrayList<>();
        // Nothing listens here: a node of the list that is down must not keep anyone from connecting.
        addresses.add("127.0.0.1:" + LocalServer.freePort());
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            int port = LocalServer.freePort();
            ports.add(port);
            args.add(port + ":" + LocalServer.freePort());
            addresses.add("127.0.0.1:" + port);
        }
        LocalServer.run("rabbitmq-cluster.sh", args.toArray());
        Map<String, String> config = Map.of(
                "celeriac.broker.host", "127.0.0.1",
                "celeriac.broker.port", String.valueOf(ports.get(0)),
                "celeriac.broker.addresses", String.join(",", addresses),
                "celeriac.broker.queue-type", "quorum");
        nodes = new HashMap<>(config);
        nodes.put(FIRST_NODE_DIR, dir.resolve(String.valueOf(ports.get(0))).toString());
        return config;
    }

    /** rabbitmqctl on the first node. */
    public static void ctl(Map<String, String> nodes, Object... args) {
        List<Object> line = new ArrayList<>(List.of("ctl", nodes.get(FIRST_NODE_DIR)));
        line.addAll(List.of(args));
        LocalServer.run("rabbitmq.sh", line.toArray());
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(nodes, new TestInjector.AnnotatedAndMatchesType(Nodes.class, Map.class));
    }

    @Override
    public int order() {
        return 1000;
    }

    @Override
    public void stop() {
        if (dir != null) {
            LocalServer.run("rabbitmq-cluster.sh", "stop", dir);
        }
    }
}
