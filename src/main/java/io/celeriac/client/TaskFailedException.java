package io.celeriac.client;

import com.fasterxml.jackson.databind.JsonNode;

import io.celeriac.result.TaskResult;

/**
 * A task ended as FAILURE or REVOKED: its error as the result store has it, Java's or Python's
 * ({@code exc_type}, {@code exc_module}, the message and the traceback).
 */
public class TaskFailedException extends RuntimeException {

    private final String taskId;
    private final String state;
    private final String excType;
    private final String excModule;
    private final String traceback;

    TaskFailedException(String taskId, String state, String excType, String excModule, String message,
            String traceback) {
        super(excType + ": " + message + " (task " + taskId + ", " + state + ")");
        this.taskId = taskId;
        this.state = state;
        this.excType = excType;
        this.excModule = excModule;
        this.traceback = traceback;
    }

    static TaskFailedException of(String taskId, TaskResult result) {
        JsonNode error = result.result();
        String type = error == null ? "unknown" : error.path("exc_type").asText("unknown");
        String module = error == null ? null : error.path("exc_module").asText(null);
        JsonNode message = error == null ? null : error.get("exc_message");
        String text;
        if (message == null || message.isNull()) {
            text = "";
        } else if (message.isArray()) {
            text = message.size() == 1 && message.get(0).isTextual() ? message.get(0).asText() : message.toString();
        } else {
            text = message.asText();
        }
        return new TaskFailedException(taskId, result.status(), type, module, text, result.traceback());
    }

    public String taskId() {
        return taskId;
    }

    /** FAILURE or REVOKED. */
    public String state() {
        return state;
    }

    /** The error's type: a Java simple class name, a Python class name, or Celery's own. */
    public String excType() {
        return excType;
    }

    public String excModule() {
        return excModule;
    }

    public String traceback() {
        return traceback;
    }
}
