package io.celeriac.task;

import java.util.Map;

import jakarta.enterprise.context.RequestScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.celeriac.result.ResultStore;
import io.celeriac.result.TaskState;

/**
 * The running task, for the task's own code: inject it into a task bean to learn the task's id or report progress,
 * like Celery's bound {@code self.request} and {@code self.update_state}. It lives in the request context the worker
 * opens for each task.
 */
@RequestScoped
public class TaskContext {

    private final ResultStore results;
    private final ObjectMapper mapper;
    private String id;
    private String name;
    private int retries;
    private boolean ignoreResult;

    public TaskContext(ResultStore results, ObjectMapper mapper) {
        this.results = results;
        this.mapper = mapper;
    }

    /** Called by the worker before the task runs. */
    public void enter(String id, String name, int retries, boolean ignoreResult) {
        this.id = id;
        this.name = name;
        this.retries = retries;
        this.ignoreResult = ignoreResult;
    }

    public String id() {
        requireTask();
        return id;
    }

    public String name() {
        requireTask();
        return name;
    }

    public int retries() {
        requireTask();
        return retries;
    }

    /** Reports {@code PROGRESS} with {@code {"current": current, "total": total}} as its meta. */
    public void progress(long current, long total) {
        updateState(TaskState.PROGRESS, Map.of("current", current, "total", total));
    }

    /**
     * Celery's {@code update_state(state=..., meta=...)}: the meta is what {@code /tasks/result/{id}} shows as the
     * value while the task runs. Does nothing for a task whose result is ignored.
     */
    public void updateState(String state, Object meta) {
        requireTask();
        if (!ignoreResult) {
            results.state(id, name, state, mapper.valueToTree(meta));
        }
    }

    private void requireTask() {
        if (id == null) {
            throw new IllegalStateException("TaskContext is only available while a task runs on a worker");
        }
    }
}
