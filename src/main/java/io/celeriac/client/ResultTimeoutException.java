package io.celeriac.client;

import java.time.Duration;

/** Celery's {@code TimeoutError}: the task was not ready within the wait; it may still run. */
public class ResultTimeoutException extends RuntimeException {

    public ResultTimeoutException(String taskId, Duration timeout) {
        super("task " + taskId + " was not ready within " + timeout.toMillis() + " ms");
    }
}
