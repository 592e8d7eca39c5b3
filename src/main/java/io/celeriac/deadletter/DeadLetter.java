package io.celeriac.deadletter;

import com.fasterxml.jackson.annotation.JsonProperty;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A task message that could not be run, with why: malformed, an unknown task, arguments that do not fit, or out of
 * retries. {@code body} is the message as it arrived, so it can be inspected and requeued.
 */
@RegisterForReflection
public record DeadLetter(String id, @JsonProperty("task_id") String taskId, String task, String reason, String body,
        @JsonProperty("dead_at") String deadAt) {
}
