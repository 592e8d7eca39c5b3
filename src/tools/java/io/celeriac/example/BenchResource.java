package io.celeriac.example;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestForm;

import io.celeriac.client.SendOptions;
import io.celeriac.client.TaskClient;
import io.celeriac.message.TaskIds;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * The hook scripts/bench uses to measure sending through the Java API ({@code TaskClient}) inside an application,
 * without HTTP in the way: {@code POST /bench/enqueue} sends {@code count} tasks from {@code threads} threads
 * ({@code transaction=each}: each in a transaction of its own, so through the outbox).
 * Only in the tools build ({@code -Ptools}, which scripts/bench makes): a hook that sends millions of tasks has no
 * place in the production jar.
 */
@Path("/bench")
@Produces(MediaType.APPLICATION_JSON)
public class BenchResource {

    static final long MAX_COUNT = 2_000_000;

    private final TaskClient tasks;

    public BenchResource(TaskClient tasks) {
        this.tasks = tasks;
    }

    @POST
    @Path("/enqueue")
    public Map<String, Object> enqueue(@RestForm String count, @RestForm String threads, @RestForm String task,
            @RestForm String transaction, @RestForm String ids) throws Exception {
        int n = (int) BadInputException.requireLong("count", count, 1, MAX_COUNT);
        int t = (int) BadInputException.requireLong("threads", threads == null ? "4" : threads, 1, 64);
        String name = task == null || task.isBlank() ? "add" : task;
        if (!name.equals("add") && !name.equals("noop")) {
            throw new BadInputException("task", "'task' must be add or noop, got '" + task + "'");
        }
        // With ids=PREFIX, the tasks are PREFIX-0 .. PREFIX-(count-1): scripts/bench finds their records in Redis.
        String prefix = ids == null || ids.isBlank() ? null : ids;
        if (prefix != null && (!TaskIds.valid(prefix) || prefix.length() > 100)) {
            throw new BadInputException("ids", "'ids' must be a task id of at most 100 characters, got '" + ids + "'");
        }
        // Each send in a transaction of its own, as a request that writes and sends does: through the outbox.
        boolean inTransaction = "each".equals(transaction);
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(t);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < t; w++) {
                workers.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        int arg = i;
                        List<Object> args = name.equals("add") ? List.of(arg, 1) : List.of(arg);
                        SendOptions options = prefix == null ? SendOptions.none()
                                : SendOptions.none().taskId(prefix + "-" + arg);
                        Runnable send = () -> tasks.send(name, args, Map.of(), options);
                        if (inTransaction) {
                            QuarkusTransaction.requiringNew().run(send);
                        } else {
                            send.run();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return Map.of("count", n, "millis", millis, "per_s", n * 1000.0 / Math.max(1, millis));
    }

    /**
     * {@code count} sequential round trips through the Java API, as a client in this process makes them: send add,
     * then wait for its result ({@code AsyncResult.get}, which subscribes as Celery's client does). The like of
     * Celery's {@code add.delay(i, 1).get()}; the figures are in milliseconds.
     */
    @POST
    @Path("/roundtrip")
    public Map<String, Object> roundtrip(@RestForm String count) {
        int n = (int) BadInputException.requireLong("count", count, 1, 100_000);
        long[] nanos = new long[n];
        long[] sends = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            var sent = tasks.<Integer>delay("add", i, 1);
            sends[i] = System.nanoTime() - start;
            sent.get(Duration.ofSeconds(30));
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        Arrays.sort(sends);
        // The send alone (its PENDING record written, the broker's confirm received): the part of a round trip that
        // Celery's send, unconfirmed and unrecorded, does not wait for.
        return Map.of("count", n, "p50_ms", percentile(nanos, 50), "p90_ms", percentile(nanos, 90),
                "p99_ms", percentile(nanos, 99), "send_p50_ms", percentile(sends, 50), "send_p99_ms",
                percentile(sends, 99));
    }

    private static double percentile(long[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, index)] / 1e6;
    }
}
