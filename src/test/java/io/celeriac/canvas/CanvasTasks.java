package io.celeriac.canvas;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import io.celeriac.task.Task;

/** Tasks that say what reached them, for the canvas tests. */
@ApplicationScoped
public class CanvasTasks {

    private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    private final Map<String, List<JsonNode>> received = new ConcurrentHashMap<>();

    public int runs(String key) {
        return runs.getOrDefault(key, new AtomicInteger()).get();
    }

    public List<JsonNode> received(String key) {
        return received.getOrDefault(key, List.of());
    }

    @Task(name = "canvas_fail", result = Task.Result.KEEP)
    public long fail(String why) {
        throw new IllegalStateException(why);
    }

    /** Receives a parent's result (or a failed task's id, as an errback) and keeps it under {@code key}. */
    @Task(name = "canvas_collect", result = Task.Result.KEEP)
    public JsonNode collect(JsonNode value, String key) {
        received.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(value);
        runs.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        return value;
    }

    @Task(name = "canvas_sleep", result = Task.Result.KEEP)
    public long sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return millis;
    }

    /** Sleeps through interrupts (a revocation) and returns as if nothing happened. */
    @Task(name = "canvas_stubborn", result = Task.Result.KEEP)
    public long stubborn(long millis) {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            try {
                Thread.sleep(Math.max(1, end - System.currentTimeMillis()));
            } catch (InterruptedException ignored) {
                // carries on
            }
        }
        return millis;
    }

    /** A chord body that counts its runs under {@code key}. */
    @Task(name = "canvas_body", result = Task.Result.KEEP)
    public long body(List<Long> values, String key) {
        runs.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        return values.stream().mapToLong(Long::longValue).sum();
    }

    /** Fails with an IOException the first {@code failures} times for {@code key}, then returns {@code value}. */
    @Task(name = "canvas_flaky", result = Task.Result.KEEP, autoretryFor = IOException.class, maxRetries = 3,
            retryBackoff = "200ms", retryJitter = false)
    public long flaky(long value, String key, int failures) throws IOException {
        int run = runs.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        if (run <= failures) {
            throw new IOException("run " + run + " of " + key + " failed");
        }
        return value;
    }
}
