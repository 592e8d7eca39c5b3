package io.celeriac.chaos;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;

/**
 * scripts/chaos: sends N tracked tasks to a worker running as a separate process from the packaged jar, kills the
 * worker with SIGKILL and restarts it, restarts RabbitMQ, restarts Redis, waits for the queue to drain, then counts.
 * The last line is machine-readable: {@code sent=N succeeded=N lost=N duplicate_runs=N}.
 */
public final class Chaos {

    private final Path root = Path.of("").toAbsolutePath();
    private final Path dir = root.resolve("target/chaos");
    private final Map<String, String> ports = new HashMap<>();
    private Process worker;
    private final String run = UUID.randomUUID().toString().substring(0, 8);

    public static void main(String[] args) throws Exception {
        int tasks = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        new Chaos().run(tasks);
    }

    private void run(int tasks) throws Exception {
        Files.createDirectories(dir);
        for (String name : List.of("rabbit", "rabbit-dist", "redis", "postgres", "http")) {
            ports.put(name, String.valueOf(freePort()));
        }
        script("rabbitmq.sh", "start", dir.resolve("rabbitmq"), ports.get("rabbit"), ports.get("rabbit-dist"));
        script("redis.sh", "start", dir.resolve("redis"), ports.get("redis"), "--persistent");
        script("postgres.sh", "start", dir.resolve("postgres"), ports.get("postgres"));
        try {
            startWorker();
            List<String> ids = new ArrayList<>();
            long started = System.nanoTime();
            ConnectionFactory factory = new ConnectionFactory();
            factory.setHost("127.0.0.1");
            factory.setPort(Integer.parseInt(ports.get("rabbit")));
            Publisher publisher = new Publisher(factory);
            for (int seq = 0; seq < tasks; seq++) {
                String id = UUID.randomUUID().toString();
                String body = "{\"id\":\"" + id + "\",\"task\":\"chaos_probe\",\"args\":[\"" + run + "\"," + seq
                        + ",5]}";
                publisher.publish(body);
                ids.add(id);
                chaosAt(seq, tasks);
            }
            publisher.close();
            log("sent " + tasks + " tasks in " + (System.nanoTime() - started) / 1_000_000 + " ms; waiting to drain");
            Set<String> succeeded = awaitResults(ids, Duration.ofMinutes(5));
            long[] runs = runs();
            long duplicates = runs[0] - runs[1];
            log(String.format("executions=%d distinct=%d in %d s", runs[0], runs[1],
                    (System.nanoTime() - started) / 1_000_000_000));
            System.out.printf("sent=%d succeeded=%d lost=%d duplicate_runs=%d%n", ids.size(), succeeded.size(),
                    ids.size() - succeeded.size(), duplicates);
        } finally {
            if (worker != null) {
                worker.destroy();
                worker.waitFor(40, TimeUnit.SECONDS);
            }
            script("rabbitmq.sh", "stop", dir.resolve("rabbitmq"));
            script("redis.sh", "stop", dir.resolve("redis"));
            script("postgres.sh", "stop", dir.resolve("postgres"));
        }
    }

    /** The disruptions, at fixed points of the send loop so every run meets them with work in flight. */
    private void chaosAt(int seq, int tasks) throws Exception {
        if (seq == tasks / 5) {
            log("SIGKILL the worker");
            worker.destroyForcibly().waitFor();
            startWorker();
        } else if (seq == 2 * tasks / 5) {
            log("restarting RabbitMQ");
            script("rabbitmq.sh", "stop", dir.resolve("rabbitmq"));
            script("rabbitmq.sh", "start", dir.resolve("rabbitmq"), ports.get("rabbit"), ports.get("rabbit-dist"));
        } else if (seq == 3 * tasks / 5) {
            log("restarting Redis");
            script("redis.sh", "stop", dir.resolve("redis"));
            script("redis.sh", "start", dir.resolve("redis"), ports.get("redis"), "--persistent");
        }
    }

    private void startWorker() throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dceleriac.roles=worker", "-Dceleriac.broker.host=127.0.0.1",
                "-Dceleriac.broker.port=" + ports.get("rabbit"),
                "-Dquarkus.redis.hosts=redis://127.0.0.1:" + ports.get("redis"),
                "-Dquarkus.datasource.jdbc.url=" + jdbcUrl(), "-Dquarkus.datasource.username=postgres",
                "-Dquarkus.http.port=" + ports.get("http"), "-jar",
                root.resolve("target/quarkus-app/quarkus-run.jar").toString());
        worker = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("worker.log").toFile())).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + ports.get("http") + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    log("worker up (pid " + worker.pid() + ")");
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the worker did not become ready; see target/chaos/worker.log");
    }

    private Set<String> awaitResults(List<String> ids, Duration within) throws Exception {
        Set<String> done = new HashSet<>();
        long deadline = System.currentTimeMillis() + within.toMillis();
        while (System.currentTimeMillis() < deadline) {
            List<String> pending = ids.stream().filter(id -> !done.contains(id)).toList();
            for (int i = 0; i < pending.size(); i += 500) {
                List<String> batch = pending.subList(i, Math.min(pending.size(), i + 500));
                List<String> values = mget(batch);
                for (int j = 0; j < batch.size() && j < values.size(); j++) {
                    if (values.get(j).contains("\"status\":\"SUCCESS\"")) {
                        done.add(batch.get(j));
                    }
                }
            }
            if (done.size() == ids.size()) {
                break;
            }
            log("succeeded so far: " + done.size() + "/" + ids.size());
            Thread.sleep(2000);
        }
        return done;
    }

    /** The result records of these ids, one line each (empty for none), through redis-cli. */
    private List<String> mget(List<String> ids) throws Exception {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", ports.get("redis"), "--raw", "MGET"));
        ids.forEach(id -> command.add("celery-task-meta-" + id));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        if (p.exitValue() != 0) {
            return List.of();
        }
        return out.lines().toList();
    }

    /** Executions and distinct tasks executed, from the probe's rows. */
    private long[] runs() throws Exception {
        try (Connection db = DriverManager.getConnection(jdbcUrl(), "postgres", "");
                Statement st = db.createStatement();
                ResultSet rs = st.executeQuery("select count(*), count(distinct seq) from chaos_run where run = '"
                        + run + "'")) {
            rs.next();
            return new long[] { rs.getLong(1), rs.getLong(2) };
        }
    }

    private String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + ports.get("postgres") + "/celeriac";
    }

    /** Publishes with confirms; on a broker outage, reconnects and publishes the same message again. */
    private static final class Publisher {
        private final ConnectionFactory factory;
        private com.rabbitmq.client.Connection connection;
        private Channel channel;

        Publisher(ConnectionFactory factory) {
            this.factory = factory;
        }

        void publish(String body) throws InterruptedException {
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType("application/json")
                    .deliveryMode(2).build();
            for (int attempt = 0;; attempt++) {
                try {
                    if (channel == null || !channel.isOpen()) {
                        close();
                        connection = factory.newConnection();
                        channel = connection.createChannel();
                        channel.confirmSelect();
                    }
                    channel.basicPublish("celery", "celery", props, body.getBytes(StandardCharsets.UTF_8));
                    channel.waitForConfirmsOrDie(10_000);
                    return;
                } catch (Exception e) {
                    channel = null;
                    if (attempt % 10 == 0) {
                        log("publish failed (" + e.getClass().getSimpleName() + "), retrying");
                    }
                    Thread.sleep(500);
                }
            }
        }

        void close() {
            try {
                if (connection != null) {
                    connection.abort();
                }
            } catch (RuntimeException ignored) {
                // closing anyway
            }
            connection = null;
        }
    }

    private void script(String name, Object... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(root.resolve("scripts/lib").resolve(name).toString());
        for (Object a : args) {
            command.add(String.valueOf(a));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(command + " failed");
        }
    }

    private static int freePort() throws IOException {
        for (int i = 0; i < 100; i++) {
            int port = 20000 + (int) (Math.random() * 12000);
            try (ServerSocket s = new ServerSocket(port)) {
                return port;
            } catch (IOException busy) {
                // next
            }
        }
        throw new IOException("no free port");
    }

    private static void log(String message) {
        System.out.println("[chaos] " + message);
    }
}
