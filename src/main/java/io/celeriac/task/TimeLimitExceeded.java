package io.celeriac.task;

import java.time.Duration;

/** The outcome of a task stopped at its hard time limit (Celery's {@code TimeLimitExceeded}). */
public class TimeLimitExceeded extends RuntimeException {

    public TimeLimitExceeded(Duration limit) {
        super("time limit exceeded: the task ran longer than " + limit.toMillis() + " ms");
    }

    public TimeLimitExceeded(String message) {
        super(message);
    }
}
