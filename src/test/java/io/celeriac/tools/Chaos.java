package io.celeriac.tools;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.testing.AppProcess;

/**
 * scripts/chaos: for each connector under test, on servers of its own, sends N short tracked tasks to a worker
 * running as a separate process from the packaged jar while the worker is SIGKILLed and restarted, RabbitMQ is
 * restarted, Redis is restarted and then refuses writes (still serving reads) for a while; then M long tasks run
 * across a worker SIGTERM and a worker SIGKILL. It waits for every result, then counts. The last line per connector
 * is machine-readable: {@code connector=C sent=N succeeded=N lost=N duplicate_runs=N stuck=N}; the tool exits 0 only
 * when every connector has {@code lost=0} and {@code stuck=0}.
 */
public final class Chaos {

    static final String USAGE = "usage: scripts/chaos [N] [--connector=smallrye-rabbitmq|smallrye-amqp] [--long=M]"
            + " [--long-millis=MS]";
    static final List<String> CONNECTORS = List.of("smallrye-rabbitmq", "smallrye-amqp");
    /** The worker's celeriac.worker.concurrency (the default, set explicitly): how many long tasks run at once. */
    static final int CONCURRENCY = 8;
    /** How long a short task works. */
    static final long SHORT_MILLIS = 5;
    /** How long Redis refuses writes while sending goes on. */
    static final long REFUSE_WRITES_MILLIS = 10_000;
    /** How long short tasks may take to reach a final state after the last send. */
    static final long SHORT_DRAIN_MILLIS = 5 * 60_000;
    /** How long a long task may take to run again after a worker went away. */
    static final long RESTART_WAIT_MILLIS = 90_000;
    static final Set<String> FINAL = Set.of("SUCCESS", "FAILURE", "REVOKED");
    private static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([A-Za-z_]+)\"");
    private static final Pattern PID = Pattern.compile("\"pid\"\\s*:\\s*(\\d+)");

    private final String connector;
    private final int tasks;
    private final int longTasks;
    private final long longMillis;
    /** This connector's run: the probe's rows carry it, so executions are counted per connector. */
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, String> workerSettings;
    private Cluster cluster;
    private AppProcess worker;

    private Chaos(String connector, int tasks, int longTasks, long longMillis) {
        this.connector = connector;
        this.tasks = tasks;
        this.longTasks = longTasks;
        this.longMillis = longMillis;
        workerSettings = Map.of(
                "celeriac.roles", "worker",
                "celeriac.connector", connector,
                // Short next to the long tasks' run time: a SIGTERM certainly leaves them running past it.
                "celeriac.worker.shutdown-grace", "5s",
                "celeriac.worker.concurrency", String.valueOf(CONCURRENCY));
    }

    public static void main(String[] args) throws Exception {
        int tasks = 10_000;
        int longTasks = 4;
        long longMillis = 150_000;
        List<String> connectors = CONNECTORS;
        try {
            for (String arg : args) {
                if (arg.startsWith("--connector=")) {
                    String c = arg.substring("--connector=".length());
                    if (!CONNECTORS.contains(c)) {
                        throw new IllegalArgumentException("unknown connector " + c);
                    }
                    connectors = List.of(c);
                } else if (arg.startsWith("--long=")) {
                    longTasks = Integer.parseInt(arg.substring("--long=".length()));
                } else if (arg.startsWith("--long-millis=")) {
                    longMillis = Long.parseLong(arg.substring("--long-millis=".length()));
                } else if (arg.matches("[0-9]+")) {
                    tasks = Integer.parseInt(arg);
                } else {
                    throw new IllegalArgumentException("unknown argument " + arg);
                }
            }
            if (tasks < 1 || longTasks < 0 || longMillis < 0) {
                throw new IllegalArgumentException("N must be at least 1, M and MS at least 0");
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        }
        boolean ok = true;
        for (String connector : connectors) {
            ok &= new Chaos(connector, tasks, longTasks, longMillis).run();
        }
        // The HTTP client's threads would keep the JVM alive; the shutdown hooks kill any app process left.
        System.exit(ok ? 0 : 1);
    }

    /**
     * The whole scenario on fresh servers of this connector's own, stopped before its last line is printed; true when
     * nothing was lost or stuck.
     */
    private boolean run() {
        log("connector " + connector + ": " + tasks + " short tasks, " + longTasks + " long tasks of " + longMillis
                + " ms (run " + runId + ")");
        long started = System.nanoTime();
        String last;
        boolean ok;
        try {
            cluster = new Cluster("chaos-" + connector);
            worker = cluster.start("worker", workerSettings);
            log("worker up (pid " + worker.pid() + ")");
            ConnectionFactory factory = new ConnectionFactory();
            factory.setHost("127.0.0.1");
            factory.setPort(cluster.brokerPort());
            Counts shortCounts;
            Counts longCounts;
            try (RawPublisher publisher = new RawPublisher(factory, 1, connector.equals("smallrye-amqp"))) {
                shortCounts = shortPhase(publisher);
                longCounts = longPhase(publisher);
            }
            long[] all = runs(-1);
            long[] longRuns = runs(tasks);
            log(String.format("short tasks: sent=%d succeeded=%d failed=%d no_record=%d stuck=%d",
                    shortCounts.sent(), shortCounts.succeeded(), shortCounts.failed(), shortCounts.noRecord(),
                    shortCounts.stuck()));
            log(String.format("long tasks: sent=%d succeeded=%d failed=%d no_record=%d stuck=%d executions=%d "
                    + "distinct=%d", longCounts.sent(), longCounts.succeeded(), longCounts.failed(),
                    longCounts.noRecord(), longCounts.stuck(), longRuns[0], longRuns[1]));
            log(String.format("executions=%d distinct=%d in %d s", all[0], all[1],
                    (System.nanoTime() - started) / 1_000_000_000));
            int sent = shortCounts.sent() + longCounts.sent();
            int succeeded = shortCounts.succeeded() + longCounts.succeeded();
            int stuck = shortCounts.stuck() + longCounts.stuck();
            last = String.format("connector=%s sent=%d succeeded=%d lost=%d duplicate_runs=%d stuck=%d", connector,
                    sent, succeeded, sent - succeeded, all[0] - all[1], stuck);
            ok = sent == succeeded && stuck == 0;
        } catch (Exception e) {
            e.printStackTrace(System.out);
            last = "connector=" + connector + " aborted: " + e;
            ok = false;
        } finally {
            if (cluster != null) {
                try {
                    // SIGTERM to the app processes left, then the servers stop: the next connector starts afresh.
                    cluster.close();
                } catch (Exception e) {
                    log("could not stop everything of " + connector + ": " + e);
                }
            }
            cluster = null;
            worker = null;
        }
        System.out.println(last);
        return ok;
    }

    /** Short tasks, with a worker SIGKILL, a RabbitMQ restart, a Redis restart and Redis refusing writes. */
    private Counts shortPhase(RawPublisher publisher) throws Exception {
        List<String> ids = new ArrayList<>();
        long started = System.nanoTime();
        long refuseFrom = 0;
        int refuseSeq = 4 * tasks / 5;
        boolean refusing = false;
        try {
            for (int seq = 0; seq < tasks; seq++) {
                if (refusing) {
                    // Spread what is left over the window, so sending goes on while Redis refuses writes.
                    long due = refuseFrom + REFUSE_WRITES_MILLIS * (seq - refuseSeq) / Math.max(1, tasks - refuseSeq);
                    long wait = due - System.currentTimeMillis();
                    if (wait > 0) {
                        Thread.sleep(wait);
                    }
                    if (System.currentTimeMillis() - refuseFrom >= REFUSE_WRITES_MILLIS) {
                        refusing = !acceptWrites();
                    }
                }
                ids.add(send(publisher, seq, SHORT_MILLIS));
                if (seq == tasks / 5) {
                    log("SIGKILL the worker");
                    worker.kill();
                    worker = cluster.start("worker", workerSettings);
                    log("worker up again (pid " + worker.pid() + ")");
                } else if (seq == 2 * tasks / 5) {
                    log("restarting RabbitMQ");
                    cluster.rabbitmq("stop");
                    cluster.rabbitmq("start");
                } else if (seq == 3 * tasks / 5) {
                    log("restarting Redis");
                    cluster.redis("stop");
                    cluster.redis("start");
                } else if (seq == refuseSeq) {
                    log("Redis refuses writes (min-replicas-to-write 1, no replica) for "
                            + REFUSE_WRITES_MILLIS / 1000 + " s; reads go on");
                    redisCli("CONFIG", "SET", "min-replicas-to-write", "1");
                    refuseFrom = System.currentTimeMillis();
                    refusing = true;
                }
            }
            publisher.flush();
            if (refusing) {
                long wait = refuseFrom + REFUSE_WRITES_MILLIS - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                refusing = !acceptWrites();
            }
        } finally {
            if (refusing) {
                acceptWrites();
            }
        }
        log("sent " + tasks + " short tasks in " + (System.nanoTime() - started) / 1_000_000 + " ms; waiting");
        return awaitFinal("short tasks", ids, System.currentTimeMillis() + SHORT_DRAIN_MILLIS);
    }

    /** Redis accepts writes again; false when redis-cli could not say so. */
    private boolean acceptWrites() throws Exception {
        String reply = redisCli("CONFIG", "SET", "min-replicas-to-write", "0");
        log("Redis accepts writes again (" + reply.trim() + ")");
        return reply.trim().equals("OK");
    }

    /**
     * Long tasks, each running for {@code longMillis}: once they run, the worker gets SIGTERM (its shutdown grace is
     * far shorter) and a new one takes over; once they run there, that one is SIGKILLed and another takes over.
     */
    private Counts longPhase(RawPublisher publisher) throws Exception {
        if (longTasks == 0) {
            return new Counts(0, 0, 0, 0, 0);
        }
        long published = System.currentTimeMillis();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < longTasks; i++) {
            ids.add(send(publisher, tasks + i, longMillis));
        }
        publisher.flush();
        log("sent " + longTasks + " long tasks of " + longMillis + " ms");
        awaitStarted(ids);
        log("SIGTERM the worker with long tasks running (shutdown grace 5s)");
        long stopping = System.nanoTime();
        worker.terminate();
        worker.close();
        log("worker exited " + (System.nanoTime() - stopping) / 1_000_000 + " ms after SIGTERM; long tasks: "
                + statuses(ids));
        worker = cluster.start("worker", workerSettings);
        log("worker up again (pid " + worker.pid() + ")");
        awaitStarted(ids);
        log("SIGKILL the worker with long tasks running");
        worker.kill();
        worker = cluster.start("worker", workerSettings);
        log("worker up again (pid " + worker.pid() + ")");
        awaitStarted(ids);
        return awaitFinal("long tasks", ids, published + longMillis * 3 + 2 * 60_000);
    }

    /** Waits (a while) until the long tasks that fit run on the current worker, as their STARTED records say. */
    private void awaitStarted(List<String> ids) throws Exception {
        long pid = worker.pid();
        int wanted = Math.min(ids.size(), CONCURRENCY);
        long deadline = System.currentTimeMillis() + RESTART_WAIT_MILLIS;
        int running = 0;
        while (true) {
            running = 0;
            for (String json : records(ids).values()) {
                if ("STARTED".equals(status(json)) && pid(json) == pid) {
                    running++;
                }
            }
            if (running >= wanted || System.currentTimeMillis() >= deadline) {
                break;
            }
            Thread.sleep(500);
        }
        if (running >= wanted) {
            log(running + " long task(s) STARTED on pid " + pid);
        } else {
            log("only " + running + "/" + wanted + " long task(s) STARTED on pid " + pid + " after "
                    + RESTART_WAIT_MILLIS / 1000 + " s (" + statuses(ids) + "); going on");
        }
    }

    /** Publishes one probe and returns its id. */
    private String send(RawPublisher publisher, int seq, long workMillis) throws InterruptedException {
        String id = UUID.randomUUID().toString();
        publisher.publish("celery", message(id, seq, workMillis));
        return id;
    }

    /** The task message as published (the one place that knows the wire format). */
    private String message(String id, int seq, long workMillis) {
        return "{\"id\":\"" + id + "\",\"task\":\"chaos_probe\",\"args\":[\"" + runId + "\"," + seq + ","
                + workMillis + "]}";
    }

    private record Counts(int sent, int succeeded, int failed, int noRecord, int stuck) {
    }

    /**
     * Polls the records until every task is in a final state or the deadline passes, then counts: stuck are records
     * left in a state that is not final, no_record tasks that never left one.
     */
    private Counts awaitFinal(String what, List<String> ids, long deadline) throws Exception {
        Map<String, String> status = new HashMap<>();
        long lastLog = 0;
        while (true) {
            List<String> open = ids.stream().filter(id -> !isFinal(status.get(id))).toList();
            if (!open.isEmpty()) {
                Map<String, String> found = records(open);
                for (String id : open) {
                    String json = found.get(id);
                    if (json != null) {
                        status.put(id, status(json));
                    }
                }
            }
            long done = ids.stream().filter(id -> isFinal(status.get(id))).count();
            if (done == ids.size() || System.currentTimeMillis() >= deadline) {
                break;
            }
            if (System.currentTimeMillis() - lastLog >= 10_000) {
                lastLog = System.currentTimeMillis();
                long succeeded = ids.stream().filter(id -> "SUCCESS".equals(status.get(id))).count();
                log(what + ": succeeded so far " + succeeded + "/" + ids.size() + ", final " + done + "/"
                        + ids.size());
            }
            Thread.sleep(2000);
        }
        int succeeded = 0;
        int failed = 0;
        int noRecord = 0;
        int stuck = 0;
        for (String id : ids) {
            String s = status.get(id);
            if (s == null) {
                noRecord++;
            } else if (s.equals("SUCCESS")) {
                succeeded++;
            } else if (isFinal(s)) {
                failed++;
            } else {
                stuck++;
            }
        }
        return new Counts(ids.size(), succeeded, failed, noRecord, stuck);
    }

    /** How many of these tasks are in which state, for the log. */
    private String statuses(List<String> ids) throws Exception {
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, String> found = records(ids);
        for (String id : ids) {
            String json = found.get(id);
            String s = json == null ? "none" : status(json);
            counts.merge(s + (json != null && "STARTED".equals(s) ? "@" + pid(json) : ""), 1, Integer::sum);
        }
        return counts.toString();
    }

    /** SUCCESS, FAILURE or REVOKED: a state no later write changes. */
    private static boolean isFinal(String status) {
        return status != null && FINAL.contains(status);
    }

    private static String status(String json) {
        Matcher m = STATUS.matcher(json);
        return m.find() ? m.group(1) : "UNREADABLE";
    }

    private static long pid(String json) {
        Matcher m = PID.matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** The result records of these ids that exist, by id; what could not be read now is left out. */
    private Map<String, String> records(List<String> ids) throws Exception {
        Map<String, String> found = new HashMap<>();
        for (int i = 0; i < ids.size(); i += 500) {
            List<String> batch = ids.subList(i, Math.min(ids.size(), i + 500));
            List<String> values = mget(batch);
            if (values.size() != batch.size()) {
                continue; // Redis down or restarting: try again on the next poll
            }
            for (int j = 0; j < batch.size(); j++) {
                // A record is JSON; an empty line is no record (anything else, an error, is read again later).
                if (values.get(j).startsWith("{")) {
                    found.put(batch.get(j), values.get(j));
                }
            }
        }
        return found;
    }

    /** The result records of these ids, one line each (empty for none), through redis-cli. */
    private List<String> mget(List<String> ids) throws Exception {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", cluster.ports.get("redis"), "--raw",
                "MGET"));
        ids.forEach(id -> command.add("celery-task-meta-" + id));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return p.exitValue() == 0 ? out.lines().toList() : List.of();
    }

    /** One redis-cli command against this cluster's Redis; its output (an error too). */
    private String redisCli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", cluster.ports.get("redis")));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        if (p.exitValue() != 0 || !out.trim().equals("OK")) {
            log("redis-cli " + String.join(" ", args) + ": exit " + p.exitValue() + ", " + out.trim());
        }
        return out;
    }

    /** Executions and distinct tasks executed in this run, from the probe's rows (seq at least minSeq). */
    private long[] runs(int minSeq) throws Exception {
        try (Connection db = DriverManager.getConnection(cluster.jdbcUrl(), "postgres", "");
                PreparedStatement st = db.prepareStatement(
                        "select count(*), count(distinct seq) from chaos_run where run = ? and seq >= ?")) {
            st.setString(1, runId);
            st.setInt(2, minSeq);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return new long[] { rs.getLong(1), rs.getLong(2) };
            }
        }
    }

    static void log(String message) {
        System.out.println("[chaos] " + message);
    }
}
