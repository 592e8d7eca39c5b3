package io.celeriac.client;

/**
 * A task could not be handed to the broker in time (broker down, link not attached, result store unreachable).
 * Nothing was queued; the caller may retry. REST resources answer 503.
 */
public class TaskSendException extends RuntimeException {

    public TaskSendException(String message, Throwable cause) {
        super(message, cause);
    }
}
