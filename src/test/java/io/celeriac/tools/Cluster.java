package io.celeriac.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.celeriac.testing.AppProcess;
import io.celeriac.testing.LocalServer;

/**
 * Private RabbitMQ, Redis and PostgreSQL (through scripts/lib, as the tests start them) and processes of the
 * packaged jar, for the command-line tools scripts/chaos and scripts/bench.
 */
final class Cluster implements AutoCloseable {

    final Path dir;
    final Map<String, String> ports = new HashMap<>();
    private final List<AppProcess> apps = new ArrayList<>();

    Cluster(String name) throws Exception {
        dir = Path.of("target").resolve(name).toAbsolutePath();
        Files.createDirectories(dir);
        for (String p : List.of("rabbit", "rabbit-dist", "redis", "postgres")) {
            ports.put(p, String.valueOf(LocalServer.freePort()));
        }
        // A tool stopped by a signal (Ctrl-C, a timeout) still stops its servers; stopping twice is harmless.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stopServers();
            } catch (RuntimeException ignored) {
                // exiting anyway
            }
        }));
        try {
            rabbitmq("start");
            redis("start");
            script("postgres.sh", "start", dir.resolve("postgres"), ports.get("postgres"));
        } catch (RuntimeException e) {
            // No close() follows a failed constructor: the servers already up must not outlive it.
            try {
                stopServers();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    void rabbitmq(String command) {
        if (command.equals("start")) {
            script("rabbitmq.sh", "start", dir.resolve("rabbitmq"), ports.get("rabbit"), ports.get("rabbit-dist"));
        } else {
            script("rabbitmq.sh", command, dir.resolve("rabbitmq"));
        }
    }

    void redis(String command) {
        if (command.equals("start")) {
            script("redis.sh", "start", dir.resolve("redis"), ports.get("redis"), "--persistent");
        } else {
            script("redis.sh", command, dir.resolve("redis"));
        }
    }

    int brokerPort() {
        return Integer.parseInt(ports.get("rabbit"));
    }

    int redisPort() {
        return Integer.parseInt(ports.get("redis"));
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + ports.get("postgres") + "/celeriac";
    }

    /** Starts the packaged app against these servers, with these settings, and waits until it is ready. */
    AppProcess start(String name, Map<String, String> settings) throws Exception {
        return start(name, settings, List.of());
    }

    /** As {@link #start(String, Map)}, with these options for the JVM. */
    AppProcess start(String name, Map<String, String> settings, List<String> jvmOptions) throws Exception {
        Map<String, String> all = new HashMap<>(Map.of(
                "celeriac.broker.host", "127.0.0.1",
                "celeriac.broker.port", ports.get("rabbit"),
                "quarkus.redis.hosts", "redis://127.0.0.1:" + ports.get("redis"),
                "quarkus.datasource.jdbc.url", jdbcUrl(),
                "quarkus.datasource.username", "postgres",
                "quarkus.log.level", "WARN"));
        all.putAll(settings);
        AppProcess app = AppProcess.start(name, all, jvmOptions, dir.resolve(name + ".log"), true);
        // Whatever happens to the tool, its app processes go with it.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                app.kill();
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
        }));
        apps.add(app);
        return app;
    }

    @Override
    public void close() throws Exception {
        for (AppProcess app : apps) {
            app.close();
        }
        stopServers();
    }

    /** Stops every server, each even when another failed to stop; then throws the first failure. */
    private void stopServers() {
        RuntimeException failure = null;
        for (Runnable stop : List.<Runnable>of(() -> rabbitmq("stop"), () -> redis("stop"),
                () -> script("postgres.sh", "stop", dir.resolve("postgres")))) {
            try {
                stop.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void script(String name, Object... args) {
        LocalServer.run(ProcessBuilder.Redirect.appendTo(dir.resolve("servers.log").toFile()), name, args);
    }
}
