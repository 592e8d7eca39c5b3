package io.celeriac.message;

/** A call whose arguments weigh more than {@code celeriac.task-max-args-size}: nothing was sent. */
public class TaskTooLargeException extends TaskArgumentException {

    public TaskTooLargeException(String message) {
        super(message);
    }
}
