package io.celeriac.client;

/**
 * A send that failed. Two outcomes a caller must tell apart: {@link TaskNotSentException} (nothing was queued: send
 * again) and {@link TaskSendUncertainException} (the broker may hold the message and the task may run: do not send
 * it again under a new id; follow the id instead).
 */
public abstract class TaskSendException extends RuntimeException {

    private final String taskId;

    protected TaskSendException(String taskId, String message, Throwable cause) {
        super(message, cause);
        this.taskId = taskId;
    }

    /** The id the task was (or would have been) sent under. */
    public String taskId() {
        return taskId;
    }
}
