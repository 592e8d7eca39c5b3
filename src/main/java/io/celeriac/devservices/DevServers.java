package io.celeriac.devservices;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.celeriac.config.CeleriacConfig;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;

/**
 * Dev mode on its own: when the configured RabbitMQ or Redis is on this machine and does not answer, starts private
 * ones on those ports (through scripts/services, which installs the Debian packages when missing) before anything
 * connects, and stops them when dev mode ends. Live reloads keep them: they are processes of their own, and a reload
 * finds them answering. No Docker is needed, which Quarkus's own Dev Services would want.
 */
@ApplicationScoped
public class DevServers {

    private static final Logger LOG = Logger.getLogger(DevServers.class);
    /** Once per dev-mode JVM, across live reloads. */
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    void start(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event, CeleriacConfig config,
            @ConfigProperty(name = "quarkus.redis.hosts") String redisHosts) {
        if (LaunchMode.current() != LaunchMode.DEVELOPMENT || !config.devservices().enabled()) {
            return;
        }
        String brokerHost = config.broker().host();
        int brokerPort = config.broker().port();
        URI redis = URI.create(redisHosts.split(",")[0].trim());
        int redisPort = redis.getPort() < 0 ? 6379 : redis.getPort();
        boolean brokerMissing = local(brokerHost) && !answers(brokerHost, brokerPort);
        boolean redisMissing = local(redis.getHost()) && !answers(redis.getHost(), redisPort);
        if (!brokerMissing && !redisMissing) {
            return;
        }
        Path services = Path.of("scripts", "services");
        if (!Files.isExecutable(services)) {
            LOG.warnf("dev services: RabbitMQ (%s:%d) or Redis (%s:%d) does not answer, and there is no %s here to "
                    + "start them; start them yourself", brokerHost, brokerPort, redis.getHost(), redisPort, services);
            return;
        }
        Path data = Path.of(".celeriac", "services").toAbsolutePath();
        LOG.infof("dev services: starting RabbitMQ on 127.0.0.1:%d and Redis on 127.0.0.1:%d (data in %s; "
                + "celeriac.devservices.enabled=false turns this off)", brokerPort, redisPort, data);
        run(services, "start", data, brokerPort, redisPort);
        if (STARTED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> run(services, "stop", data, brokerPort, redisPort),
                    "celeriac-dev-services-stop"));
        }
        LOG.infof("dev services: RabbitMQ on 127.0.0.1:%d and Redis on 127.0.0.1:%d are up; they stop when dev "
                + "mode ends", brokerPort, redisPort);
    }

    private static void run(Path services, String command, Path data, int brokerPort, int redisPort) {
        List<String> line = new ArrayList<>(List.of(services.toAbsolutePath().toString(), command));
        ProcessBuilder builder = new ProcessBuilder(line).inheritIO();
        Map<String, String> env = builder.environment();
        env.put("CELERIAC_SERVICES_DIR", data.toString());
        env.put("CELERIAC_RABBITMQ_PORT", String.valueOf(brokerPort));
        env.put("CELERIAC_REDIS_PORT", String.valueOf(redisPort));
        // RabbitMQ's own rule (distribution port = AMQP port + 20000: 25672 for 5672), kept within the port range.
        env.put("CELERIAC_RABBITMQ_DIST_PORT", String.valueOf(brokerPort + 20000 <= 65535 ? brokerPort + 20000
                : brokerPort - 20000));
        try {
            Process process = builder.start();
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                process.destroyForcibly();
                LOG.errorf("dev services: scripts/services %s failed (exit %s)", command,
                        process.isAlive() ? "none, timed out" : String.valueOf(process.exitValue()));
            }
        } catch (IOException e) {
            LOG.errorf("dev services: cannot run scripts/services %s: %s", command, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean local(String host) {
        return host != null && (host.equals("localhost") || host.equals("127.0.0.1") || host.equals("::1"));
    }

    private static boolean answers(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
