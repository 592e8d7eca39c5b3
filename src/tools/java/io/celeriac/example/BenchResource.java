package io.celeriac.example;

import java.util.ArrayList;
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

import io.celeriac.client.TaskClient;
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
            @RestForm String transaction) throws Exception {
        int n = (int) BadInputException.requireLong("count", count, 1, MAX_COUNT);
        int t = (int) BadInputException.requireLong("threads", threads == null ? "4" : threads, 1, 64);
        String name = task == null || task.isBlank() ? "add" : task;
        if (!name.equals("add") && !name.equals("noop")) {
            throw new BadInputException("task", "'task' must be add or noop, got '" + task + "'");
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
                        Runnable send = name.equals("add") ? () -> tasks.delay("add", arg, 1)
                                : () -> tasks.delay("noop", arg);
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
}
