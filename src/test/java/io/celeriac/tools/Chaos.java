package io.celeriac.tools;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.testing.AppProcess;

/**
 * scripts/chaos: sends N tracked tasks to a worker running as a separate process from the packaged jar, kills the
 * worker with SIGKILL and restarts it, restarts RabbitMQ, restarts Redis, waits for every result, then counts.
 * The last line is machine-readable: {@code sent=N succeeded=N lost=N duplicate_runs=N}.
 */
public final class Chaos {

    private static final Map<String, String> WORKER = Map.of("celeriac.roles", "worker");

    private final String run = UUID.randomUUID().toString().substring(0, 8);

    public static void main(String[] args) throws Exception {
        int tasks = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        new Chaos().run(tasks);
        System.exit(0);
    }

    private void run(int tasks) throws Exception {
        try (Cluster cluster = new Cluster("chaos")) {
            AppProcess worker = cluster.start("worker", WORKER);
            log("worker up (pid " + worker.pid() + ")");
            List<String> ids = new ArrayList<>();
            long started = System.nanoTime();
            ConnectionFactory factory = new ConnectionFactory();
            factory.setHost("127.0.0.1");
            factory.setPort(cluster.brokerPort());
            try (RawPublisher publisher = new RawPublisher(factory)) {
                for (int seq = 0; seq < tasks; seq++) {
                    String id = UUID.randomUUID().toString();
                    publisher.publish("celery", "{\"id\":\"" + id + "\",\"task\":\"chaos_probe\",\"args\":[\"" + run
                            + "\"," + seq + ",5]}");
                    ids.add(id);
                    if (seq == tasks / 5) {
                        log("SIGKILL the worker");
                        worker.kill();
                        worker = cluster.start("worker", WORKER);
                        log("worker up again (pid " + worker.pid() + ")");
                    } else if (seq == 2 * tasks / 5) {
                        log("restarting RabbitMQ");
                        cluster.rabbitmq("stop");
                        cluster.rabbitmq("start");
                    } else if (seq == 3 * tasks / 5) {
                        log("restarting Redis");
                        cluster.redis("stop");
                        cluster.redis("start");
                    }
                }
            }
            log("sent " + tasks + " tasks in " + (System.nanoTime() - started) / 1_000_000 + " ms; waiting");
            Set<String> succeeded = awaitResults(cluster, ids, Duration.ofMinutes(5));
            long[] runs = runs(cluster);
            log(String.format("executions=%d distinct=%d in %d s", runs[0], runs[1],
                    (System.nanoTime() - started) / 1_000_000_000));
            System.out.printf("sent=%d succeeded=%d lost=%d duplicate_runs=%d%n", ids.size(), succeeded.size(),
                    ids.size() - succeeded.size(), runs[0] - runs[1]);
        }
    }

    private Set<String> awaitResults(Cluster cluster, List<String> ids, Duration within) throws Exception {
        Set<String> done = new HashSet<>();
        long deadline = System.currentTimeMillis() + within.toMillis();
        while (System.currentTimeMillis() < deadline) {
            List<String> pending = ids.stream().filter(id -> !done.contains(id)).toList();
            for (int i = 0; i < pending.size(); i += 500) {
                List<String> batch = pending.subList(i, Math.min(pending.size(), i + 500));
                List<String> values = mget(cluster, batch);
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
    private static List<String> mget(Cluster cluster, List<String> ids) throws Exception {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", cluster.ports.get("redis"), "--raw",
                "MGET"));
        ids.forEach(id -> command.add("celery-task-meta-" + id));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return p.exitValue() == 0 ? out.lines().toList() : List.of();
    }

    /** Executions and distinct tasks executed, from the probe's rows. */
    private long[] runs(Cluster cluster) throws Exception {
        try (Connection db = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                Statement st = db.createStatement();
                ResultSet rs = st.executeQuery("select count(*), count(distinct seq) from chaos_run where run = '"
                        + run + "'")) {
            rs.next();
            return new long[] { rs.getLong(1), rs.getLong(2) };
        }
    }

    static void log(String message) {
        System.out.println("[chaos] " + message);
    }
}
