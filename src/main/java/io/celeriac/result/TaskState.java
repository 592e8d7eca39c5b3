package io.celeriac.result;

import java.util.Set;

/**
 * Celery's task states. A task may also report states of its own (such as {@link #PROGRESS}); like Celery, they
 * count as running, not ready.
 */
public final class TaskState {

    /** Sent and waiting for a worker. Unlike Celery, only known ids are PENDING; an unknown id is not found. */
    public static final String PENDING = "PENDING";
    public static final String STARTED = "STARTED";
    /** The state {@code TaskContext.progress} reports, with {@code {current, total}} as meta. */
    public static final String PROGRESS = "PROGRESS";
    public static final String SUCCESS = "SUCCESS";
    public static final String FAILURE = "FAILURE";
    public static final String RETRY = "RETRY";
    public static final String REVOKED = "REVOKED";
    /** Sent with its result ignored: nothing but this marker is kept, and it goes when the task has run. */
    public static final String IGNORED = "IGNORED";

    public static final Set<String> READY = Set.of(SUCCESS, FAILURE, REVOKED);

    private TaskState() {
    }

    public static boolean isReady(String state) {
        return READY.contains(state);
    }
}
