package io.celeriac.example;

import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.task.Task;

/** Counts how many of its runs overlap, for the worker's concurrency bound. */
@ApplicationScoped
public class ConcurrencyTasks {

    static final AtomicInteger RUNNING = new AtomicInteger();
    static final AtomicInteger MOST = new AtomicInteger();

    @Task(name = "overlap_probe", result = Task.Result.KEEP)
    public int probe(long millis) throws InterruptedException {
        int now = RUNNING.incrementAndGet();
        MOST.accumulateAndGet(now, Math::max);
        try {
            Thread.sleep(millis);
            return now;
        } finally {
            RUNNING.decrementAndGet();
        }
    }
}
