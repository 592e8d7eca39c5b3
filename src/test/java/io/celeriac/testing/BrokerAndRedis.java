package io.celeriac.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A private RabbitMQ (AMQP 0-9-1 and 1.0, Celeriac's queues declared) and a private Redis on free ports, started
 * for real. A running dev instance is never touched, so it cannot steal a test's messages.
 */
public class BrokerAndRedis implements QuarkusTestResourceLifecycleManager {

    /** Marks a {@code Map<String, String>} field of a test that wants this resource's settings. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Settings {
    }

    public static final String RABBITMQ_DIR = "test.rabbitmq.dir";
    public static final String RABBITMQ_DIST_PORT = "test.rabbitmq.dist-port";
    public static final String REDIS_DIR = "test.redis.dir";
    public static final String REDIS_PORT = "test.redis.port";
    /** The broker's AMQPS listener, and a trust store (password "celeriac") with the CA of its certificate. */
    public static final String RABBITMQ_TLS_PORT = "test.rabbitmq.tls-port";
    public static final String RABBITMQ_TRUST_STORE = "test.rabbitmq.trust-store";
    /** Redis's TLS port, and a trust store (password "celeriac") with the CA of its certificate. */
    public static final String REDIS_TLS_PORT = "test.redis.tls-port";
    public static final String REDIS_TRUST_STORE = "test.redis.trust-store";

    /** Stops or starts the servers of a running test, through the same scripts. */
    public static void rabbitmq(Map<String, String> settings, String command) {
        if (command.equals("start")) {
            LocalServer.run("rabbitmq.sh", "start", settings.get(RABBITMQ_DIR), settings.get("celeriac.broker.port"),
                    settings.get(RABBITMQ_DIST_PORT), settings.get(RABBITMQ_TLS_PORT));
        } else {
            LocalServer.run("rabbitmq.sh", command, settings.get(RABBITMQ_DIR));
        }
    }

    /**
     * Freezes the broker (SIGSTOP) or thaws it (SIGCONT): it keeps its connections and accepts new ones but answers
     * nothing, like a broker that is alive but sick, or a network that drops packets without resetting connections.
     */
    public static void freezeRabbitmq(Map<String, String> settings, boolean frozen) {
        signalGroup(Path.of(settings.get(RABBITMQ_DIR), "wrapper.pid"), frozen ? "-STOP" : "-CONT");
    }

    /** As {@link #freezeRabbitmq}, for Redis. */
    public static void freezeRedis(Map<String, String> settings, boolean frozen) {
        signalGroup(Path.of(settings.get(REDIS_DIR), "redis.pid"), frozen ? "-STOP" : "-CONT");
    }

    /** A Redis command through redis-cli, for tests that change the server's own settings. */
    public static String redisCli(Map<String, String> settings, String... command) {
        return redisCli(Integer.parseInt(settings.get(REDIS_PORT)), command);
    }

    /** As {@link #redisCli(Map, String...)}, on the Redis at this port of loopback. */
    public static String redisCli(int port, String... command) {
        List<String> line = new java.util.ArrayList<>(List.of("redis-cli", "-p", String.valueOf(port)));
        line.addAll(List.of(command));
        return exec(line);
    }

    private static void signalGroup(Path pidFile, String signal) {
        try {
            String pid = Files.readString(pidFile).trim();
            // The scripts start each server with setsid: its pid is its process group, which holds every process.
            exec(List.of("kill", signal, "--", "-" + pid));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String exec(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(command + " failed: " + out);
            }
            return out.trim();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static void redis(Map<String, String> settings, String command) {
        if (command.equals("start")) {
            LocalServer.run("redis.sh", "start", settings.get(REDIS_DIR), settings.get(REDIS_PORT),
                    "--tls-port=" + settings.get(REDIS_TLS_PORT));
        } else {
            LocalServer.run("redis.sh", command, settings.get(REDIS_DIR));
        }
    }

    private Path rabbitDir;
    private Path redisDir;
    private Map<String, String> settings;

    @Override
    public Map<String, String> start() {
        rabbitDir = LocalServer.workDir("rabbitmq");
        redisDir = LocalServer.workDir("redis");
        int brokerPort = LocalServer.freePort();
        int distPort = LocalServer.freePort();
        int tlsPort = LocalServer.freePort();
        LocalServer.run("rabbitmq.sh", "start", rabbitDir, brokerPort, distPort, tlsPort);
        int redisPort = LocalServer.freePort();
        int redisTlsPort = LocalServer.freePort();
        LocalServer.run("redis.sh", "start", redisDir, redisPort, "--tls-port=" + redisTlsPort);
        Map<String, String> config = Map.of(
                "celeriac.broker.host", "127.0.0.1",
                "celeriac.broker.port", String.valueOf(brokerPort),
                "quarkus.redis.hosts", "redis://127.0.0.1:" + redisPort,
                // Not used unless a test points the app at them (TlsTest).
                RABBITMQ_TLS_PORT, String.valueOf(tlsPort),
                RABBITMQ_TRUST_STORE, rabbitDir.resolve("tls/trust.p12").toString(),
                REDIS_TLS_PORT, String.valueOf(redisTlsPort),
                REDIS_TRUST_STORE, redisDir.resolve("tls/trust.p12").toString());
        // Tests that restart the servers also get where they live (not app configuration).
        settings = new java.util.HashMap<>(config);
        settings.put(RABBITMQ_DIR, rabbitDir.toString());
        settings.put(RABBITMQ_DIST_PORT, String.valueOf(distPort));
        settings.put(REDIS_DIR, redisDir.toString());
        settings.put(REDIS_PORT, String.valueOf(redisPort));
        return config;
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(settings, new TestInjector.AnnotatedAndMatchesType(Settings.class, Map.class));
    }

    @Override
    public void stop() {
        if (rabbitDir != null) {
            LocalServer.run("rabbitmq.sh", "stop", rabbitDir);
        }
        if (redisDir != null) {
            LocalServer.run("redis.sh", "stop", redisDir);
        }
    }
}
