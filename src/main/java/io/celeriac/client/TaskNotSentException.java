package io.celeriac.client;

/**
 * Nothing was queued: the broker, its link or the result store refused or could not be reached before the message
 * left. The caller may send again; REST resources answer 503 with {@code Retry-After}.
 */
public class TaskNotSentException extends TaskSendException {

    public TaskNotSentException(String taskId, String message) {
        this(taskId, message, null);
    }

    public TaskNotSentException(String taskId, String message, Throwable cause) {
        super(taskId, message, cause);
    }
}
