package io.celeriac.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Path;
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

    private Path rabbitDir;
    private Path redisDir;
    private Map<String, String> settings;

    @Override
    public Map<String, String> start() {
        rabbitDir = LocalServer.workDir("rabbitmq");
        redisDir = LocalServer.workDir("redis");
        int brokerPort = LocalServer.freePort();
        LocalServer.run("rabbitmq.sh", "start", rabbitDir, brokerPort, LocalServer.freePort());
        int redisPort = LocalServer.freePort();
        LocalServer.run("redis.sh", "start", redisDir, redisPort);
        settings = Map.of(
                "celeriac.broker.host", "127.0.0.1",
                "celeriac.broker.port", String.valueOf(brokerPort),
                "quarkus.redis.hosts", "redis://127.0.0.1:" + redisPort);
        return settings;
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
