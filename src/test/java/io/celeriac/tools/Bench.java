package io.celeriac.tools;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;

import io.celeriac.testing.AppProcess;

/**
 * scripts/bench: throughput and latency of the packaged app (an api process and a worker process) against the
 * broker's own ceiling measured in the same run, one {@code key=value} line per figure. A phase whose progress stops
 * for {@value #STALL_SECONDS} s is reported as a stall instead of waited on.
 */
public final class Bench {

    static final int STALL_SECONDS = 15;
    /** Sending threads in the api process for enqueue_api and the e2e phases (--senders=N). */
    private final int senders;
    /** Tasks per timed enqueue and e2e phase (--tasks=N). */
    private final int tasks;
    /** The worker's concurrency (--concurrency=N). */
    private final int concurrency;
    /** The JVM options the README gives for a worker on the JVM (a small heap and small stacks). */
    static final List<String> WORKER_JVM = List.of("-XX:+UseSerialGC", "-Xmx64m", "-Xss256k");
    /** A fresh worker compiles for about this long; e2e and drain rates are taken after it. */
    static final long WARM_UP_NANOS = 20_000_000_000L;

    /** Settings for the worker process (--worker=key=value, repeatable), e.g. celeriac.worker.prefetch-multiplier=4. */
    private final Map<String, String> workerExtra = new HashMap<>();
    private final boolean quick;
    private final boolean full;
    private final boolean interop;
    private final boolean vsCelery;
    private final boolean both;
    private int stalls;
    private int redisPort;

    private Bench(List<String> args) {
        quick = args.contains("--quick");
        full = args.contains("--full");
        interop = args.contains("--interop");
        vsCelery = args.contains("--vs-celery");
        both = !args.contains("--default-only");
        senders = option(args, "--senders", 16);
        tasks = option(args, "--tasks", quick ? 10_000 : 20_000);
        concurrency = option(args, "--concurrency", 8);
        args.stream().filter(a -> a.startsWith("--worker=") && a.indexOf('=', 9) > 9).forEach(a -> workerExtra.put(
                a.substring(9, a.indexOf('=', 9)), a.substring(a.indexOf('=', 9) + 1)));
    }

    private static int option(List<String> args, String name, int otherwise) {
        return args.stream().filter(a -> a.startsWith(name + "=")).findFirst()
                .map(a -> Integer.parseInt(a.substring(name.length() + 1))).orElse(otherwise);
    }

    public static void main(String[] args) throws Exception {
        new Bench(List.of(args)).run();
        // The HTTP client's threads would keep the JVM alive.
        System.exit(0);
    }

    private int n(int quickValue, int normal) {
        return quick ? quickValue : normal;
    }

    private void run() throws Exception {
        try (Cluster cluster = new Cluster("bench")) {
            redisPort = cluster.redisPort();
            if (interop) {
                interop(cluster, n(300, 1000));
                return;
            }
            if (vsCelery) {
                vsCelery(cluster, n(500, 1000));
                return;
            }
            measure(cluster, "smallrye-rabbitmq", "");
            if (both) {
                measure(cluster, "smallrye-amqp", "_amqp10");
            }
            print("stalls", stalls);
        }
    }

    private void measure(Cluster cluster, String connector, String suffix) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(cluster.brokerPort());
        double raw = suffix.isEmpty() ? rawAmqp091(factory, n(20_000, 100_000))
                : RawAmqp10.rate(cluster.brokerPort(), n(20_000, 100_000));
        print("raw_amqp_msgs_per_s" + suffix, raw);

        Map<String, String> common = Map.of("celeriac.connector", connector);
        Map<String, String> apiSettings = with(common, "celeriac.roles", "api");
        AppProcess api = cluster.start("api" + suffix, apiSettings);
        // Every timed phase runs on warmed-up JVMs: the first seconds of a fresh one are spent compiling.
        enqueueApi(api, n(3_000, 10_000), "add");
        print("enqueue_api_per_s" + suffix, enqueueApi(api, tasks, "add"));
        // The same sends, each in a transaction of its own: through the outbox (a row written and deleted per send).
        enqueueApi(api, n(1_000, 3_000), "add", "each");
        print("enqueue_api_tx_outbox_per_s" + suffix, enqueueApi(api, tasks, "add", "each"));
        fixedRateHttp(api, 1000, n(5, 10), suffix);
        purge(factory);

        Map<String, String> workerSettings = with(common, "celeriac.roles", "worker");
        workerSettings.put("celeriac.worker.concurrency", String.valueOf(concurrency));
        workerSettings.putAll(workerExtra);
        AppProcess worker = cluster.start("worker" + suffix, workerSettings, WORKER_JVM);
        Thread.sleep(5000);
        print("worker_rss_idle_mb" + suffix, worker.rssMb());
        // A worker's C2 compiler takes its time: the timed phases start once it has run tasks for WARM_UP_NANOS.
        long warm = System.nanoTime() + WARM_UP_NANOS;
        do {
            e2e(api, worker, Math.max(1, tasks / 2), "add");
        } while (System.nanoTime() < warm);
        double tracked = e2e(api, worker, tasks, "add");
        print("e2e_tracked_per_s" + suffix, tracked);
        print("e2e_untracked_per_s" + suffix, e2e(api, worker, tasks, "noop"));
        roundtrips(api, n(200, 1000), suffix);

        long[] backlogs = full ? new long[] { 100_000, 1_000_000 } : quick ? new long[] { 40_000 }
                : new long[] { 100_000 };
        for (long size : backlogs) {
            worker.close();
            publishBacklog(factory, size);
            worker = cluster.start("worker" + suffix, workerSettings, WORKER_JVM);
            String name = size >= 1_000_000 ? "1m" : (size / 1000) + "k";
            print("e2e_tracked_per_s_backlog_" + name + suffix, drain(worker, size, "_backlog_" + name + suffix));
        }
        if (!full) {
            print("e2e_tracked_per_s_backlog_1m" + suffix, "skipped (--full)");
        }
        print("worker_rss_busy_mb" + suffix, busyRss);
        print("ratio_e2e_vs_raw" + suffix, raw > 0 ? tracked / raw : 0);
        worker.close();
        api.close();
        purge(factory);
    }

    /**
     * Celeriac and Celery 5.2 side by side, one after the other on the same broker and Redis: Celeriac's api and worker
     * processes as {@link #measure} starts them, then a Celery worker configured as Flask's guide configures it
     * (src/test/python/bench/flaskguide.py: prefork, concurrency 2) fed by one Python client. A tracked task counts as
     * done once its SUCCESS record is in Redis, on both sides ({@link StoredResults}); the round trips are a client's
     * send-then-wait through each side's own API, one task at a time.
     */
    private void vsCelery(Cluster cluster, int roundtrips) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(cluster.brokerPort());
        Map<String, String> common = Map.of("celeriac.connector", "smallrye-rabbitmq");
        AppProcess api = cluster.start("api", with(common, "celeriac.roles", "api"));
        Map<String, String> workerSettings = with(common, "celeriac.roles", "worker");
        workerSettings.put("celeriac.worker.concurrency", String.valueOf(concurrency));
        workerSettings.putAll(workerExtra);
        workerExtra.forEach((k, v) -> System.out.println("[bench] worker: " + k + "=" + v));
        AppProcess worker = cluster.start("worker", workerSettings, WORKER_JVM);
        Thread.sleep(5000);
        print("worker_rss_idle_mb", worker.rssMb());
        long warm = System.nanoTime() + WARM_UP_NANOS;
        do {
            e2e(api, worker, Math.max(1, tasks / 2), "add");
        } while (System.nanoTime() < warm);
        CpuMeter meter = servers(new CpuMeter().pid("api", api.pid()).pid("worker", worker.pid()));
        Map<String, Long> cpu = meter.sample();
        double celeriac = e2e(api, worker, tasks, "add");
        print("e2e_tracked_per_s", celeriac);
        meter.print(cpu, tasks, "", Map.of());
        print("worker_rss_busy_mb", worker.rssMb());
        roundtrips(api, roundtrips, "");
        HttpResponse<String> client = api.postForm("/bench/roundtrip", "count=" + roundtrips);
        for (String p : List.of("p50", "p90", "p99", "send_p50", "send_p99")) {
            print("roundtrip_client_" + p + "_ms", Double.parseDouble(
                    client.body().replaceAll(".*\"" + p + "_ms\":([0-9.E-]+).*", "$1")));
        }
        worker.close();
        api.close();
        purge(factory);

        io.celeriac.testing.PythonCelery python = new io.celeriac.testing.PythonCelery(cluster.brokerPort(),
                cluster.redisPort(), "bench");
        // WARNING, not the guide's INFO: Celeriac's processes log at WARN here, and INFO writes two lines per task.
        Process celeryWorker = python.worker("celery-bench", "[queues]", "-A", "flaskguide", "worker",
                "--concurrency", "2", "-n", "celerybench@%h", "--loglevel", "WARNING");
        try {
            // Python compiles nothing, but the first tasks wait for the worker's connection and its pool's forks.
            celeryE2e(python, Math.max(1, tasks / 5));
            // The client is a process of its own that is gone by the end: it reports its CPU itself.
            CpuMeter celeryMeter = servers(new CpuMeter().group("worker", line -> line.contains("flaskguide")));
            Map<String, Long> celeryCpu = celeryMeter.sample();
            CeleryRun run = celeryE2e(python, tasks);
            double celery = run.perSecond();
            print("celery_e2e_tracked_per_s", celery);
            print("celery_send_per_s", run.sendPerSecond());
            celeryMeter.print(celeryCpu, tasks, "_celery", Map.of("client", run.clientCpuMicros()));
            var figures = python.run("celerybench.py", "roundtrip", String.valueOf(roundtrips));
            print("celery_roundtrip_p50_ms", figures.path("p50_ms").asDouble());
            print("celery_roundtrip_p90_ms", figures.path("p90_ms").asDouble());
            print("celery_roundtrip_p99_ms", figures.path("p99_ms").asDouble());
            print("ratio_vs_celery", celery > 0 ? celeriac / celery : 0);
        } finally {
            python.stop(celeryWorker);
            purge(factory);
        }
        print("stalls", stalls);
    }

    /** The broker, Redis and this tool itself (it polls Redis) beside a phase's own processes. */
    private static CpuMeter servers(CpuMeter meter) {
        // This tool first, and RabbitMQ by its executable: command lines with "rabbitmq" in them are this tool's and
        // the app's (their class path, their connector setting).
        return meter.pid("bench", ProcessHandle.current().pid()).comm("rabbitmq", "beam.smp")
                .comm("redis", "redis-server");
    }

    /** A Celery e2e run: the rate, and the client's own send rate and CPU time (it is gone by the end). */
    private record CeleryRun(double perSecond, double sendPerSecond, long clientCpuMicros) {
    }

    /**
     * Celery's e2e rate: one Python client sends {@code count} add tasks while the worker runs them, from the client's
     * first send (its own clock, so Python's start-up is not counted) to the last SUCCESS record in Redis.
     */
    private CeleryRun celeryE2e(io.celeriac.testing.PythonCelery python, int count) throws Exception {
        String prefix = "celery-e2e-" + UUID.randomUUID().toString().substring(0, 8);
        CompletableFuture<com.fasterxml.jackson.databind.JsonNode> sending = CompletableFuture.supplyAsync(
                () -> python.run("celerybench.py", "send", String.valueOf(count), prefix));
        long reached;
        try (StoredResults results = new StoredResults(redisPort, prefix, count)) {
            reached = awaitProgress(() -> {
                try {
                    return results.done();
                } catch (java.io.IOException e) {
                    return -1;
                }
            }, count);
        }
        double end = System.currentTimeMillis() / 1000.0;
        var sent = sending.get(120, TimeUnit.SECONDS);
        double rate = reached >= count ? count / (end - sent.path("started_at").asDouble()) : 0;
        return new CeleryRun(rate, sent.path("per_s").asDouble(), (long) (sent.path("cpu_s").asDouble() * 1e6));
    }

    /**
     * A Python Celery client's round trip (send_task, then AsyncResult.get) to a Java worker and to a Python worker,
     * one after another, on the same broker and Redis, in this run.
     */
    private void interop(Cluster cluster, int n) throws Exception {
        Map<String, String> workerSettings = new HashMap<>(Map.of("celeriac.roles", "worker",
                "celeriac.worker.concurrency", String.valueOf(concurrency)));
        AppProcess worker = cluster.start("worker", workerSettings, WORKER_JVM);
        io.celeriac.testing.PythonCelery python = new io.celeriac.testing.PythonCelery(cluster.brokerPort(),
                cluster.redisPort());
        Process pythonWorker = python.worker("py", "pybench@bench");
        try {
            // The Java worker warms up on the same calls first: its compiler would otherwise be measured.
            python.client("roundtrip", "add", "[2, 3]", String.valueOf(n));
            for (String[] target : new String[][] { { "java", "add" }, { "python", "py.mul" } }) {
                var figures = python.client("roundtrip", target[1], "[2, 3]", String.valueOf(n));
                print("roundtrip_python_client_to_" + target[0] + "_worker_p50_ms", figures.path("p50_ms").asDouble());
                print("roundtrip_python_client_to_" + target[0] + "_worker_p90_ms", figures.path("p90_ms").asDouble());
            }
        } finally {
            python.stop(pythonWorker);
            worker.close();
        }
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> m = new HashMap<>(base);
        m.put(key, value);
        return m;
    }

    /** Plain producer and consumer on the same broker and client library, with confirms and per-message acks. */
    private double rawAmqp091(ConnectionFactory factory, int count) throws Exception {
        String queue = "bench.raw";
        byte[] body = ("{\"id\":\"" + UUID.randomUUID() + "\",\"task\":\"add\",\"args\":[1,1],\"kwargs\":{},"
                + "\"retries\":0,\"root_id\":\"x\",\"ignore_result\":false,\"origin\":\"bench\"}")
                .getBytes(StandardCharsets.UTF_8);
        try (Connection consumerConnection = factory.newConnection();
                Connection producerConnection = factory.newConnection()) {
            Channel consumer = consumerConnection.createChannel();
            consumer.queueDeclare(queue, true, false, false, Map.of());
            consumer.queuePurge(queue);
            consumer.basicQos(1000);
            CountDownLatch done = new CountDownLatch(count);
            consumer.basicConsume(queue, false, new DefaultConsumer(consumer) {
                @Override
                public void handleDelivery(String tag, Envelope envelope,
                        com.rabbitmq.client.AMQP.BasicProperties properties, byte[] b) throws java.io.IOException {
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                    done.countDown();
                }
            });
            Channel producer = producerConnection.createChannel();
            producer.confirmSelect();
            com.rabbitmq.client.AMQP.BasicProperties persistent = new com.rabbitmq.client.AMQP.BasicProperties
                    .Builder().contentType("application/json").deliveryMode(2).build();
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                producer.basicPublish("", queue, persistent, body);
                if (i % 500 == 499) {
                    producer.waitForConfirmsOrDie(30_000);
                }
            }
            producer.waitForConfirmsOrDie(30_000);
            awaitProgress(() -> count - done.getCount(), count);
            double seconds = (System.nanoTime() - start) / 1e9;
            consumer.queueDelete(queue);
            return done.getCount() == 0 ? count / seconds : 0;
        }
    }

    private double enqueueApi(AppProcess api, int count, String task) throws Exception {
        return enqueueApi(api, count, task, "none");
    }

    private double enqueueApi(AppProcess api, int count, String task, String transaction) throws Exception {
        return enqueueApi(api, count, task, transaction, "");
    }

    private double enqueueApi(AppProcess api, int count, String task, String transaction, String ids)
            throws Exception {
        HttpResponse<String> r = api.postForm("/bench/enqueue", "count=" + count + "&threads=" + senders + "&task="
                + task + "&transaction=" + transaction + "&ids=" + ids);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("bench enqueue failed: " + r.body());
        }
        String perS = r.body().replaceAll(".*\"per_s\":([0-9.]+).*", "$1");
        return Double.parseDouble(perS);
    }

    /**
     * A fixed rate of POST /tasks/add ({@link FixedRateLoad}); the same load runs for 5 s first, uncounted, to warm
     * both JVMs and the connections.
     */
    private void fixedRateHttp(AppProcess api, int perSecond, int seconds, String suffix) throws Exception {
        FixedRateLoad load = new FixedRateLoad(api.port(), "/tasks/add", i -> "a=" + i + "&b=1", 64);
        load.run(perSecond, 5);
        FixedRateLoad.Result result = load.run(perSecond, seconds);
        print("enqueue_http_per_s" + suffix, result.sortedLatencyNanos().size() / result.seconds());
        print("enqueue_http_p50_ms" + suffix, percentile(result.sortedLatencyNanos(), 50));
        print("enqueue_http_p99_ms" + suffix, percentile(result.sortedLatencyNanos(), 99));
        if (result.failures() > 0) {
            print("enqueue_http_failures" + suffix, result.failures());
            System.out.println("[bench] first failed request: " + result.firstFailure());
        }
    }

    /**
     * Sends {@code count} tasks through the api process while the worker runs them. add keeps its result, so it is
     * done when its SUCCESS record is in Redis ({@link StoredResults}); noop keeps none and is counted by the worker.
     */
    private double e2e(AppProcess api, AppProcess worker, int count, String task) throws Exception {
        boolean tracked = task.equals("add");
        String prefix = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
        double base = tracked ? 0 : worker.metric("celeriac_tasks_succeeded_total", "task=\"" + task + "\"");
        long start = System.nanoTime();
        CompletableFuture<Double> sending = CompletableFuture.supplyAsync(() -> {
            try {
                return enqueueApi(api, count, task, "none", tracked ? prefix : "");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long reached;
        try (StoredResults results = new StoredResults(redisPort, prefix, count)) {
            reached = awaitProgress(() -> {
                try {
                    return tracked ? results.done()
                            : (long) (worker.metric("celeriac_tasks_succeeded_total", "task=\"" + task + "\"")
                                    - base);
                } catch (Exception e) {
                    return -1;
                }
            }, count);
        }
        sending.get(60, TimeUnit.SECONDS);
        return reached >= count ? count / ((System.nanoTime() - start) / 1e9) : 0;
    }

    private void roundtrips(AppProcess api, int count, String suffix) throws Exception {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            String body = api.postForm("/tasks/add", "a=" + i + "&b=1").body();
            String id = body.replaceAll(".*\"result_id\":\"([^\"]+)\".*", "$1");
            while (!api.get("/tasks/result/" + id).body().startsWith("{\"ready\":true")) {
                Thread.sleep(0, 200_000);
            }
            times.add(System.nanoTime() - start);
        }
        Collections.sort(times);
        print("roundtrip_p50_ms" + suffix, percentile(times, 50));
        print("roundtrip_p90_ms" + suffix, percentile(times, 90));
        print("roundtrip_p99_ms" + suffix, percentile(times, 99));
    }

    private static void publishBacklog(ConnectionFactory factory, long size) throws Exception {
        try (RawPublisher publisher = new RawPublisher(factory, 1000)) {
            for (long i = 0; i < size; i++) {
                publisher.publish("celery", "{\"id\":\"" + UUID.randomUUID() + "\",\"task\":\"add\",\"args\":[" + i
                        + ",1]}");
            }
        }
    }

    private long busyRss = -1;

    /**
     * The rate a fresh worker drains a backlog at once warmed up: from {@link #WARM_UP_NANOS} after its start or 30 %
     * of the backlog, whichever comes first, to the last task.
     */
    private double drain(AppProcess worker, long size, String suffix) throws Exception {
        long start = System.nanoTime();
        long[] mark = { -1, 0 };
        // Where the drain's CPU goes, from the mark on: the worker, RabbitMQ serving the backlog, Redis.
        CpuMeter meter = servers(new CpuMeter().pid("worker", worker.pid()));
        AtomicReference<Map<String, Long>> cpu = new AtomicReference<>();
        long reached = awaitProgress(() -> {
            try {
                long now = System.nanoTime();
                if (busyRss < 0 && (now - start) > 5_000_000_000L) {
                    busyRss = worker.rssMb();
                }
                long done = (long) worker.metric("celeriac_tasks_succeeded_total", "task=\"add\"");
                if (mark[0] < 0 && done > 0 && (now - start > WARM_UP_NANOS || done >= size * 3 / 10)) {
                    mark[0] = now;
                    mark[1] = done;
                    cpu.set(meter.sample());
                }
                return done;
            } catch (Exception e) {
                return -1;
            }
        }, size);
        if (reached < size || mark[0] < 0) {
            return 0;
        }
        double rate = (size - mark[1]) / ((System.nanoTime() - mark[0]) / 1e9);
        if (cpu.get() != null) {
            meter.print(cpu.get(), size - mark[1], suffix, Map.of());
        }
        return rate;
    }

    private static void purge(ConnectionFactory factory) throws Exception {
        try (Connection c = factory.newConnection()) {
            c.createChannel().queuePurge("celery");
        }
    }

    /** Waits until {@code progress} reaches {@code target}; gives up, counting a stall, when it stops moving. */
    private long awaitProgress(LongSupplier progress, long target) throws InterruptedException {
        long last = -1;
        long lastMove = System.nanoTime();
        while (true) {
            long now = progress.getAsLong();
            if (now >= target) {
                return now;
            }
            if (now != last) {
                last = now;
                lastMove = System.nanoTime();
            } else if (System.nanoTime() - lastMove > STALL_SECONDS * 1_000_000_000L) {
                stalls++;
                System.out.println("[bench] stall: progress stuck at " + now + " of " + target);
                return now;
            }
            Thread.sleep(100);
        }
    }

    private static double percentile(List<Long> sortedNanos, int p) {
        if (sortedNanos.isEmpty()) {
            return -1;
        }
        int index = (int) Math.ceil(p / 100.0 * sortedNanos.size()) - 1;
        return sortedNanos.get(Math.max(0, index)) / 1e6;
    }

    private static void print(String key, Object value) {
        String text = value instanceof Double d ? String.format(Locale.ROOT, "%.2f", d) : String.valueOf(value);
        System.out.println(key + "=" + text);
    }
}
