package io.celeriac.message;

/** Arguments that cannot travel as JSON, or that do not fit the task method's parameters. */
public class TaskArgumentException extends IllegalArgumentException {

    public TaskArgumentException(String message) {
        super(message);
    }

    public TaskArgumentException(String message, Throwable cause) {
        super(message, cause);
    }
}
