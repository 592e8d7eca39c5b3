package io.celeriac.client;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The message left but the broker's confirm did not come in time (a timeout, or the channel closed first): the
 * broker may hold it, and the task may run. Its record and id are kept, so the caller can follow it; sending it again
 * under a new id could run it twice. REST resources answer 202 with the id.
 */
public class TaskSendUncertainException extends TaskSendException {

    private final transient CompletionStage<Void> lateOutcome;

    public TaskSendUncertainException(String taskId, String message, Throwable cause) {
        this(taskId, message, cause, new CompletableFuture<>());
    }

    TaskSendUncertainException(String taskId, String message, Throwable cause, CompletionStage<Void> lateOutcome) {
        super(taskId, message, cause);
        this.lateOutcome = lateOutcome;
    }

    /**
     * The broker's answer, should it still come: completes when the message is confirmed after all, fails when it is
     * refused after all; never completes when the answer is lost with the channel.
     */
    public CompletionStage<Void> lateOutcome() {
        return lateOutcome;
    }
}
