package io.celeriac.interop;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.task.Task;

/** Java tasks a Python client calls in the interop tests (the example's add and process are called too). */
@ApplicationScoped
public class InteropTasks {

    @Task(name = "interop_fail", result = Task.Result.KEEP)
    public void fail(String message) {
        throw new IllegalArgumentException(message);
    }

    /** Sleeps without giving in to an interrupt before its time is up, so only a hard limit stops it. */
    @Task(name = "interop_sleep", result = Task.Result.KEEP)
    public long sleep(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return millis;
    }
}
