package io.celeriac.tools;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.celeriac.testing.AppProcess;
import io.celeriac.testing.LocalServer;

/**
 * scripts/cluster-chaos: a three-node RabbitMQ cluster (quorum queues), a Redis primary with a replica behind a
 * Sentinel, PostgreSQL, two api and two worker processes of the tools jar. It sends N tracked probes through the api
 * processes' HTTP hook; a third of the way in it SIGKILLs the RabbitMQ node most workers consume from, two thirds in
 * the Redis primary (the Sentinel promotes the replica). Then it waits for every result and counts, from the records
 * in Redis (read from whichever Redis is primary by then) and the probe's rows in PostgreSQL. Last line:
 * {@code sent=N succeeded=N lost=N duplicate_runs=N stuck=N}; exits 0 only when lost=0 and stuck=0.
 */
public final class ClusterChaos {

    static final String USAGE = "usage: scripts/cluster-chaos [N] [--result-replicas=K] [--senders=S]";
    static final long WORK_MILLIS = 5;
    static final long DRAIN_MILLIS = 5 * 60_000;
    static final Set<String> FINAL = Set.of("SUCCESS", "FAILURE", "REVOKED");
    private static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([A-Za-z_]+)\"");
    private static final Pattern RESULT_ID = Pattern.compile("\"result_id\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern NODE = Pattern.compile("<(rmq\\d+@localhost)\\.");

    private final int tasks;
    private final int resultReplicas;
    private final int senders;
    private final String runId = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    private final Path dir = Path.of("target", "cluster-chaos").toAbsolutePath();
    private final List<Integer> rabbitPorts = new ArrayList<>();
    private final int redisPort = LocalServer.freePort();
    private final int replicaPort = LocalServer.freePort();
    private final int sentinelPort = LocalServer.freePort();
    private final int postgresPort = LocalServer.freePort();
    private final List<AppProcess> apis = new ArrayList<>();
    private final List<AppProcess> workers = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final AtomicInteger uncertain = new AtomicInteger();

    private ClusterChaos(int tasks, int resultReplicas, int senders) {
        this.tasks = tasks;
        this.resultReplicas = resultReplicas;
        this.senders = senders;
    }

    public static void main(String[] args) throws Exception {
        int tasks = 10_000;
        int replicas = 0;
        int senders = 8;
        try {
            for (String arg : args) {
                if (arg.startsWith("--result-replicas=")) {
                    replicas = Integer.parseInt(arg.substring("--result-replicas=".length()));
                } else if (arg.startsWith("--senders=")) {
                    senders = Integer.parseInt(arg.substring("--senders=".length()));
                } else if (arg.matches("[0-9]+")) {
                    tasks = Integer.parseInt(arg);
                } else {
                    throw new IllegalArgumentException("unknown argument " + arg);
                }
            }
            if (tasks < 3 || replicas < 0 || senders < 1) {
                throw new IllegalArgumentException("N must be at least 3, K at least 0, S at least 1");
            }
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        }
        boolean ok = new ClusterChaos(tasks, replicas, senders).run();
        System.exit(ok ? 0 : 1);
    }

    private boolean run() {
        String last;
        boolean ok = false;
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopQuietly));
        try {
            startServers();
            Map<String, String> settings = appSettings();
            for (int i = 0; i < 2; i++) {
                workers.add(start("worker-" + (i + 1), settings, "worker"));
                apis.add(start("api-" + (i + 1), settings, "api"));
            }
            log("2 api and 2 worker processes up; sending " + tasks + " tracked tasks (run " + runId
                    + ", celeriac.result-replicas=" + resultReplicas + ")");
            long started = System.nanoTime();
            Map<Integer, String> ids = send();
            double sendSeconds = (System.nanoTime() - started) / 1e9;
            log(String.format("sent %d in %.1f s (%.0f/s); waiting for results", ids.size(), sendSeconds,
                    ids.size() / sendSeconds));
            Map<String, String> status = awaitFinal(new ArrayList<>(ids.values()));
            double allSeconds = (System.nanoTime() - started) / 1e9;
            int succeeded = 0;
            int stuck = 0;
            int noRecord = 0;
            for (String id : ids.values()) {
                String s = status.get(id);
                if ("SUCCESS".equals(s)) {
                    succeeded++;
                } else if (s == null) {
                    noRecord++;
                } else if (!FINAL.contains(s)) {
                    stuck++;
                }
            }
            long[] runs = runs();
            log(waitCost());
            log(String.format("no_record=%d executions=%d distinct=%d; all final in %.1f s (%.0f tasks/s end to end)",
                    noRecord, runs[0], runs[1], allSeconds, ids.size() / allSeconds));
            last = String.format("sent=%d succeeded=%d lost=%d duplicate_runs=%d stuck=%d", ids.size(), succeeded,
                    ids.size() - succeeded, runs[0] - runs[1], stuck);
            ok = succeeded == ids.size() && stuck == 0;
        } catch (Exception e) {
            e.printStackTrace(System.out);
            last = "aborted: " + e;
        } finally {
            stopQuietly();
        }
        System.out.println(last);
        return ok;
    }

    private void startServers() throws Exception {
        deleteRecursively(dir);
        Files.createDirectories(dir);
        List<Object> nodes = new ArrayList<>(List.of("start", dir.resolve("rabbitmq"),
                LocalServer.scripts().resolve("../../docker/rabbitmq/definitions-quorum.json").normalize()));
        for (int i = 0; i < 3; i++) {
            int port = LocalServer.freePort();
            rabbitPorts.add(port);
            nodes.add(port + ":" + LocalServer.freePort());
        }
        script("rabbitmq-cluster.sh", nodes.toArray());
        script("redis.sh", "start", dir.resolve("redis-a"), redisPort);
        script("redis.sh", "start", dir.resolve("redis-b"), replicaPort, "--replica-of=" + redisPort);
        script("redis.sh", "sentinel", dir.resolve("sentinel"), sentinelPort, redisPort);
        script("postgres.sh", "start", dir.resolve("postgres"), postgresPort);
        log("RabbitMQ nodes on " + rabbitPorts + " (quorum queues), Redis primary " + redisPort + " with replica "
                + replicaPort + " behind Sentinel " + sentinelPort + ", PostgreSQL " + postgresPort);
    }

    private Map<String, String> appSettings() {
        Map<String, String> settings = new HashMap<>();
        settings.put("celeriac.broker.host", "127.0.0.1");
        settings.put("celeriac.broker.port", String.valueOf(rabbitPorts.get(0)));
        settings.put("celeriac.broker.addresses", String.join(",",
                rabbitPorts.stream().map(p -> "127.0.0.1:" + p).toList()));
        settings.put("celeriac.broker.queue-type", "quorum");
        settings.put("quarkus.redis.client-type", "sentinel");
        settings.put("quarkus.redis.hosts", "redis://127.0.0.1:" + sentinelPort);
        settings.put("quarkus.redis.master-name", "celeriac");
        settings.put("quarkus.redis.role", "master");
        settings.put("celeriac.result-replicas", String.valueOf(resultReplicas));
        settings.put("quarkus.datasource.jdbc.url", jdbcUrl());
        settings.put("quarkus.datasource.username", "postgres");
        settings.put("quarkus.log.level", "WARN");
        return settings;
    }

    private AppProcess start(String name, Map<String, String> settings, String role) throws Exception {
        Map<String, String> all = new HashMap<>(settings);
        all.put("celeriac.roles", role);
        return AppProcess.start(name, all, dir.resolve(name + ".log"), true);
    }

    /** Sends every probe through the api processes, each until one accepts it; the ids by seq. */
    private Map<Integer, String> send() throws Exception {
        Map<Integer, String> ids = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(senders + 1);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                running.add(pool.submit(() -> {
                    for (int seq = next.getAndIncrement(); seq < tasks; seq = next.getAndIncrement()) {
                        ids.put(seq, sendOne(seq, refused));
                    }
                    return null;
                }));
            }
            running.add(pool.submit(() -> {
                awaitSent(ids, tasks / 3);
                killBrokerNodeOfTheWorkers();
                awaitSent(ids, 2 * tasks / 3);
                killRedisPrimary();
                return null;
            }));
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        log("sends refused and tried again: " + refused.get() + "; answered 202 (confirm not seen): "
                + uncertain.get());
        return new HashMap<>(ids);
    }

    private String sendOne(int seq, AtomicInteger refused) throws InterruptedException {
        String form = "run=" + runId + "&seq=" + seq + "&millis=" + WORK_MILLIS;
        for (int attempt = 0;; attempt++) {
            AppProcess api = apis.get((seq + attempt) % apis.size());
            try {
                HttpResponse<String> response = http.send(HttpRequest
                        .newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/chaos/probe"))
                        .timeout(Duration.ofSeconds(30))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
                Matcher id = RESULT_ID.matcher(response.body());
                // 202: the broker's confirm did not come, the task may be queued; counted as sent, so a task that
                // was not is counted lost.
                if ((response.statusCode() == 200 || response.statusCode() == 202) && id.find()) {
                    if (response.statusCode() == 202) {
                        uncertain.incrementAndGet();
                    }
                    return id.group(1);
                }
                if (refused.incrementAndGet() % 100 == 1) {
                    log("a send was refused (" + response.statusCode() + "): " + response.body());
                }
            } catch (java.io.IOException e) {
                // A send whose answer is lost may have gone out: sent again, it runs twice (a duplicate run, never
                // a lost one).
                refused.incrementAndGet();
            }
            Thread.sleep(200);
        }
    }

    private void awaitSent(Map<Integer, String> ids, int count) throws InterruptedException {
        while (ids.size() < count) {
            Thread.sleep(20);
        }
    }

    /** SIGKILLs the node that serves most consumers of the task queue: the one the workers are connected to. */
    private void killBrokerNodeOfTheWorkers() throws Exception {
        String consumers = ctl(rabbitPorts.get(0), "list_consumers", "queue_name", "channel_pid");
        Map<String, Integer> byNode = new HashMap<>();
        for (String line : consumers.lines().filter(l -> l.startsWith("celery\t")).toList()) {
            Matcher node = NODE.matcher(line);
            if (node.find()) {
                byNode.merge(node.group(1), 1, Integer::sum);
            }
        }
        String victim = byNode.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse("rmq" + rabbitPorts.get(0) + "@localhost");
        int port = Integer.parseInt(victim.substring(3, victim.indexOf('@')));
        log("consumers of celery by node: " + byNode + "; SIGKILL RabbitMQ node " + victim);
        script("rabbitmq.sh", "kill", dir.resolve("rabbitmq").resolve(String.valueOf(port)));
        rabbitPorts.remove(Integer.valueOf(port));
    }

    private void killRedisPrimary() throws Exception {
        log("SIGKILL the Redis primary (" + redisPort + "); the Sentinel promotes " + replicaPort);
        String pid = Files.readString(dir.resolve("redis-a").resolve("redis.pid")).trim();
        new ProcessBuilder("kill", "-9", pid).inheritIO().start().waitFor();
        Thread.sleep(10_000);
        // As an orchestrator would: the dead one comes back, as a replica of the one the Sentinel promoted (with
        // celeriac.result-replicas=1 no outcome is acknowledged until a replica is there again).
        script("redis.sh", "start", dir.resolve("redis-a"), redisPort, "--replica-of=" + replicaPort);
        log("the old primary is back, as a replica of " + replicaPort);
    }

    /**
     * What waiting for a replica costs one write, here: the same 1,000 writes, each followed by {@code WAIT 1} or by
     * a {@code PING} (a round trip either way), on one connection to the primary; the difference per write.
     */
    private String waitCost() throws Exception {
        List<String> address = redisCli(sentinelPort, "--raw", "SENTINEL", "get-master-addr-by-name", "celeriac")
                .lines().toList();
        if (address.size() < 2) {
            return "wait_cost_us=unknown";
        }
        int port = Integer.parseInt(address.get(1));
        long withPing = timedWrites(port, "PING");
        long withWait = timedWrites(port, "WAIT 1 1000");
        return String.format("write_then_ping_us=%.0f write_then_wait_us=%.0f wait_cost_us=%.0f", withPing / 1000.0,
                withWait / 1000.0, (withWait - withPing) / 1000.0);
    }

    /** Microseconds for 1,000 writes each followed by {@code after}, one command at a time on one connection. */
    private static long timedWrites(int port, String after) throws Exception {
        StringBuilder commands = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            commands.append("SET celeriac-chaos-wait-probe ").append(i).append('\n').append(after).append('\n');
        }
        Process p = new ProcessBuilder("redis-cli", "-p", String.valueOf(port)).redirectErrorStream(true).start();
        long started = System.nanoTime();
        p.getOutputStream().write(commands.toString().getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        p.getInputStream().readAllBytes();
        p.waitFor();
        return (System.nanoTime() - started) / 1000;
    }

    /** Polls the records until every one is final or the drain time is over; the states by id. */
    private Map<String, String> awaitFinal(List<String> ids) throws Exception {
        Map<String, String> status = new HashMap<>();
        long deadline = System.currentTimeMillis() + DRAIN_MILLIS;
        long lastLog = 0;
        while (true) {
            List<String> open = ids.stream().filter(id -> !FINAL.contains(String.valueOf(status.get(id)))).toList();
            status.putAll(records(open));
            long done = ids.stream().filter(id -> FINAL.contains(String.valueOf(status.get(id)))).count();
            if (done == ids.size() || System.currentTimeMillis() >= deadline) {
                return status;
            }
            if (System.currentTimeMillis() - lastLog >= 10_000) {
                lastLog = System.currentTimeMillis();
                log("final so far " + done + "/" + ids.size());
            }
            Thread.sleep(2000);
        }
    }

    /** The states of these tasks' records on whichever Redis the Sentinel calls primary now. */
    private Map<String, String> records(List<String> ids) throws Exception {
        Map<String, String> found = new HashMap<>();
        String primary = redisCli(sentinelPort, "--raw", "SENTINEL", "get-master-addr-by-name", "celeriac");
        List<String> address = primary.lines().toList();
        if (address.size() < 2) {
            return found;
        }
        for (int i = 0; i < ids.size(); i += 500) {
            List<String> batch = ids.subList(i, Math.min(ids.size(), i + 500));
            List<String> command = new ArrayList<>(List.of("--raw", "MGET"));
            batch.forEach(id -> command.add("celery-task-meta-" + id));
            List<String> values = redisCli(Integer.parseInt(address.get(1)), command.toArray(String[]::new)).lines()
                    .toList();
            if (values.size() != batch.size()) {
                continue;
            }
            for (int j = 0; j < batch.size(); j++) {
                Matcher m = STATUS.matcher(values.get(j));
                if (m.find()) {
                    found.put(batch.get(j), m.group(1));
                }
            }
        }
        return found;
    }

    /** Executions and distinct probes executed in this run, from the probe's rows. */
    private long[] runs() throws Exception {
        try (Connection db = DriverManager.getConnection(jdbcUrl(), "postgres", "");
                PreparedStatement st = db.prepareStatement(
                        "select count(*), count(distinct seq) from chaos_run where run = ?")) {
            st.setString(1, runId);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return new long[] { rs.getLong(1), rs.getLong(2) };
            }
        }
    }

    private String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgresPort + "/celeriac";
    }

    private String ctl(int port, String... args) {
        List<Object> line = new ArrayList<>(List.of("ctl", dir.resolve("rabbitmq").resolve(String.valueOf(port))));
        line.addAll(List.of(args));
        return LocalServer.output("rabbitmq.sh", line.toArray());
    }

    private static String redisCli(int port, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", String.valueOf(port)));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return p.exitValue() == 0 ? out : "";
    }

    private void script(String name, Object... args) {
        LocalServer.run(ProcessBuilder.Redirect.appendTo(dir.resolve("servers.log").toFile()), name, args);
    }

    private synchronized void stopQuietly() {
        for (AppProcess app : List.copyOf(apis)) {
            quietly(app::kill);
        }
        for (AppProcess app : List.copyOf(workers)) {
            quietly(app::kill);
        }
        apis.clear();
        workers.clear();
        if (Files.isDirectory(dir)) {
            quietly(() -> script("rabbitmq-cluster.sh", "stop", dir.resolve("rabbitmq")));
            for (String redis : List.of("redis-a", "redis-b", "sentinel")) {
                quietly(() -> script("redis.sh", "stop", dir.resolve(redis)));
            }
            quietly(() -> script("postgres.sh", "stop", dir.resolve("postgres")));
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void quietly(Step step) {
        try {
            step.run();
        } catch (Exception e) {
            log("while stopping: " + e);
        }
    }

    private static void deleteRecursively(Path path) throws Exception {
        if (!Files.exists(path)) {
            return;
        }
        try (var walk = Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static void log(String message) {
        System.out.println("[cluster-chaos] " + message);
    }
}
