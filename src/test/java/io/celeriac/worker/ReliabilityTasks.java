package io.celeriac.worker;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.task.Task;
import io.celeriac.task.TaskContext;

/** Tasks that record what happened to them, for the reliability tests. */
@ApplicationScoped
public class ReliabilityTasks {

    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final TaskContext task;

    public ReliabilityTasks(TaskContext task) {
        this.task = task;
    }

    public int attempts(String key) {
        return attempts.getOrDefault(key, new AtomicInteger()).get();
    }

    public List<String> events() {
        return events;
    }

    /** Fails with an IOException the first {@code failures} times it runs for {@code key}. */
    @Task(name = "flaky", result = Task.Result.KEEP, autoretryFor = IOException.class, maxRetries = 2,
            retryBackoff = "700ms", retryJitter = false)
    public int flaky(String key, int failures) throws IOException {
        int attempt = attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        if (attempt <= failures) {
            throw new IOException("attempt " + attempt + " of " + key + " failed");
        }
        return attempt;
    }

    /** Asks for its own retry, like Celery's self.retry(). */
    @Task(name = "asks_retry", result = Task.Result.KEEP, maxRetries = 1, retryBackoff = "100ms")
    public int asksRetry(String key) {
        int attempt = attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        if (attempt == 1) {
            throw task.retry(new IllegalStateException("not yet"));
        }
        return task.retries();
    }

    @Task(name = "record", result = Task.Result.KEEP)
    public String record(String key) {
        attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        return Instant.now().toString();
    }

    /** Sleeps; an interrupt (revocation, soft limit) is recorded and ends it. */
    @Task(name = "sleeper", result = Task.Result.KEEP)
    public String sleeper(String key, long millis) throws InterruptedException {
        try {
            Thread.sleep(millis);
            return "slept";
        } catch (InterruptedException e) {
            events.add(key + ":interrupted:soft=" + task.softTimeLimitExceeded());
            throw e;
        }
    }

    /** Counts its runs under {@code key}, sleeps, and returns which run it was. */
    @Task(name = "counted_sleeper", result = Task.Result.KEEP)
    public int countedSleeper(String key, long millis) throws InterruptedException {
        int run = attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        Thread.sleep(millis);
        return run;
    }

    /** Ignores interrupts: only the hard time limit can end it. */
    @Task(name = "stubborn", result = Task.Result.KEEP, timeLimit = "1s")
    public String stubborn(long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ignored) {
                // stubborn
            }
        }
        return "finished";
    }
}
