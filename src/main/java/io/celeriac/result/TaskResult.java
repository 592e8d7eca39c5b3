package io.celeriac.result;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One task's record in the result store, in the shape of Celery's Redis backend
 * ({@code celery-task-meta-<id>}: status, result, traceback, children, date_done, task_id), plus {@code name}
 * as Celery's {@code result_extended} has it, and {@code date_started} (set when a worker starts it, kept until the
 * end, so runtimes can be shown). {@code result} holds the return value, the meta of a custom state
 * such as PROGRESS, or {@code {exc_type, exc_message, exc_module}} for a failure.
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.ALWAYS)
// Python's records may carry more (parent_id, group_id, and with result_extended args, kwargs, worker, queue).
@JsonIgnoreProperties(ignoreUnknown = true)
public record TaskResult(
        String status,
        JsonNode result,
        String traceback,
        JsonNode children,
        @JsonProperty("date_done") String dateDone,
        @JsonProperty("task_id") String taskId,
        String name,
        @JsonProperty("date_started") String dateStarted) {

    /** Celery's {@code AsyncResult.ready()}. */
    @JsonIgnore
    public boolean ready() {
        return TaskState.isReady(status);
    }

    /** Celery's {@code AsyncResult.successful()}. */
    @JsonIgnore
    public boolean successful() {
        return TaskState.SUCCESS.equals(status);
    }

    @JsonIgnore
    public boolean ignored() {
        return TaskState.IGNORED.equals(status);
    }

    /**
     * What a client polls, as the Flask guide's view returns it: {@code {ready, successful, value}} (value is the
     * progress meta while running), plus the state and, for an ignored result, a note saying so.
     */
    public Map<String, Object> view() {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("ready", ready());
        view.put("successful", ready() ? successful() : null);
        view.put("value", result);
        view.put("state", status);
        if (ignored()) {
            view.put("ignored", true);
            view.put("message", "the result of '" + name + "' is ignored: it is queued or running, and its "
                    + "outcome will not be kept (failures are)");
        }
        return view;
    }
}
