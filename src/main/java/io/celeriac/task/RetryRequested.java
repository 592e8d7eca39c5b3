package io.celeriac.task;

import java.time.Duration;
import java.util.Optional;

/** Thrown by {@link TaskContext#retry}: the worker sends the task again, as Celery's {@code self.retry()} does. */
public class RetryRequested extends RuntimeException {

    private final transient Optional<Duration> countdown;

    public RetryRequested(Throwable cause, Optional<Duration> countdown) {
        super(cause == null ? "retry requested" : cause.toString(), cause);
        this.countdown = countdown;
    }

    /** The delay the task asked for; empty means the task's backoff. */
    public Optional<Duration> countdown() {
        return countdown;
    }
}
