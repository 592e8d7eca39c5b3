package io.celeriac.client;

/**
 * Nothing was queued, and sending again will not help: the connector cannot reach the queue the task is routed to
 * (over AMQP 1.0, a queue other than the default one).
 */
public class TaskNotRoutableException extends TaskNotSentException {

    public TaskNotRoutableException(String taskId, String message) {
        super(taskId, message, null);
    }
}
