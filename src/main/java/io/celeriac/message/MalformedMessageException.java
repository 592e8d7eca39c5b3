package io.celeriac.message;

/**
 * A broker message that is not a task message Celeriac can run. {@link #taskId()} is the message's id when it had a
 * valid one, so the sender's record can be closed rather than left PENDING.
 */
public class MalformedMessageException extends RuntimeException {

    private final String taskId;
    private final String task;

    public MalformedMessageException(String message, Throwable cause) {
        super(message, cause);
        this.taskId = null;
        this.task = null;
    }

    public MalformedMessageException(String message) {
        this(null, null, message);
    }

    public MalformedMessageException(String taskId, String task, String message) {
        super(message);
        this.taskId = taskId;
        this.task = task;
    }

    /** The id of the message, when it had a valid one; null otherwise. */
    public String taskId() {
        return taskId;
    }

    /** The task name of the message, when it had one; null otherwise. */
    public String task() {
        return task;
    }
}
