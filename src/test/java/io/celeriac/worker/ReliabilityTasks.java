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
import io.celeriac.example.User;
import io.celeriac.task.TaskContext;
import io.celeriac.task.TimeLimitExceeded;

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

    /**
     * Sends record(key) inside its own transaction, waits long enough for a worker to run it had it been published at
     * once, and answers how often it ran meanwhile; {@code fail} rolls the transaction back.
     */
    @Task(name = "sends_in_its_transaction", result = Task.Result.KEEP, transactional = true, timeLimit = "20s")
    public int sendsInItsTransaction(String key, boolean fail) throws InterruptedException {
        io.quarkus.arc.Arc.container().instance(io.celeriac.client.TaskClient.class).get().delay("record", key);
        Thread.sleep(1500);
        if (fail) {
            throw new IllegalStateException("rolled back on purpose");
        }
        return attempts(key);
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

    /** As {@code counted_sleeper}, with its result ignored. */
    @Task(name = "counted_ignored", result = Task.Result.IGNORE)
    public void countedIgnored(String key, long millis) throws InterruptedException {
        attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        Thread.sleep(millis);
    }

    /** Fails every time it runs, counting its runs. */
    @Task(name = "always_fails", result = Task.Result.KEEP)
    public void alwaysFails(String key) {
        attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        throw new IllegalStateException("always fails: " + key);
    }

    /** Ignores interrupts like {@code stubborn}, and would be retried on its time limit. */
    @Task(name = "stubborn_retried", result = Task.Result.KEEP, timeLimit = "500ms",
            autoretryFor = TimeLimitExceeded.class, maxRetries = 2, retryBackoff = "100ms", retryJitter = false)
    public String stubbornRetried(String key, long millis) {
        attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        return stubborn(millis);
    }

    /**
     * Runs in the worker's transaction, writes a row, then ignores its interrupts past its hard limit: the row must
     * not be committed after the task was recorded as FAILURE.
     */
    @Task(name = "stubborn_writer", result = Task.Result.KEEP, timeLimit = "500ms", transactional = true)
    public String stubbornWriter(String email, long millis) {
        User user = new User();
        user.name = "stubborn";
        user.email = email;
        user.persist();
        String done = stubborn(millis);
        events.add(email + ":returned");
        return done;
    }
}
