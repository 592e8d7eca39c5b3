package io.celeriac.task;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import jakarta.enterprise.context.RequestScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.jboss.logging.Logger;

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
    private String startedAt;
    private BooleanSupplier softTimeLimitExceeded = () -> false;

    /** The longest countdown a retry may ask for. */
    public static final Duration MAX_COUNTDOWN = Duration.ofDays(366);
    private static final Logger LOG = Logger.getLogger(TaskContext.class);

    public TaskContext(ResultStore results, ObjectMapper mapper) {
        this.results = results;
        this.mapper = mapper;
    }

    /** Called by the worker before the task runs. */
    public void enter(String id, String name, int retries, boolean ignoreResult, String startedAt,
            BooleanSupplier softTimeLimitExceeded) {
        this.id = id;
        this.name = name;
        this.retries = retries;
        this.ignoreResult = ignoreResult;
        this.startedAt = startedAt;
        this.softTimeLimitExceeded = softTimeLimitExceeded;
    }

    /** Whether the task has run past its soft time limit (its thread was interrupted then): time to clean up. */
    public boolean softTimeLimitExceeded() {
        return softTimeLimitExceeded.getAsBoolean();
    }

    /**
     * Celery's {@code self.retry(exc=cause)}: ends this run and sends the task again after its backoff, unless it is
     * out of retries, when it fails with {@code cause}. Use as {@code throw task.retry(e)}.
     */
    public RetryRequested retry(Throwable cause) {
        requireTask();
        return new RetryRequested(cause, Optional.empty());
    }

    /** As {@link #retry(Throwable)}, after {@code countdown} instead of the backoff. */
    public RetryRequested retry(Throwable cause, Duration countdown) {
        requireTask();
        if (countdown.isNegative() || countdown.compareTo(MAX_COUNTDOWN) > 0) {
            throw new IllegalArgumentException("a retry's countdown is from 0 to " + MAX_COUNTDOWN.toDays()
                    + " days, got " + countdown);
        }
        return new RetryRequested(cause, Optional.of(countdown));
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
        Map<String, Long> meta = new LinkedHashMap<>();
        meta.put("current", current);
        meta.put("total", total);
        updateState(TaskState.PROGRESS, meta);
    }

    /**
     * Celery's {@code update_state(state=..., meta=...)}: the meta is what {@code /tasks/result/{id}} shows as the
     * value while the task runs. Does nothing for a task whose result is ignored. Unlike Celery, a result store that
     * cannot take the write does not fail the task: progress is a view, and an hour-long task should not end over a
     * moment of Redis trouble (the next report, or the outcome, will land).
     */
    public void updateState(String state, Object meta) {
        requireTask();
        if (ignoreResult) {
            return;
        }
        JsonNode value = mapper.valueToTree(meta);
        try {
            results.state(id, name, state, value, startedAt);
        } catch (RuntimeException e) {
            LOG.warnf("task %s[%s] could not report %s: %s", name, id, state, e.toString());
        }
    }

    private void requireTask() {
        if (id == null) {
            throw new IllegalStateException("TaskContext is only available while a task runs on a worker");
        }
    }
}
