package io.celeriac.client;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.celeriac.config.Node;
import io.celeriac.message.Arguments;
import io.celeriac.message.TaskArgumentException;
import io.celeriac.message.TaskIds;
import io.celeriac.message.TaskMessage;
import io.celeriac.metrics.TaskMetrics;
import io.celeriac.result.ResultStore;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TaskOptions;
import io.celeriac.task.TaskRegistry;

/**
 * Sends tasks to the workers, like Celery's {@code delay} and {@code apply_async}. A call returns the task id only
 * once the broker has confirmed the message (or, for a task with an eta, once Redis holds it), and otherwise fails
 * within {@code celeriac.task-publish-timeout}: with {@link TaskNotSentException} when nothing was queued, with
 * {@link TaskSendUncertainException} when the message left but its confirm did not come (the task may run; its
 * record is kept).
 */
@ApplicationScoped
public class TaskClient {

    private static final Logger LOG = Logger.getLogger(TaskClient.class);

    private final TaskRegistry registry;
    private final Arguments arguments;
    private final ResultStore results;
    private final Publisher publisher;
    private final DelayedQueue delayed;
    private final TaskMetrics metrics;
    private final String origin = Node.id();

    public TaskClient(TaskRegistry registry, Arguments arguments, ResultStore results, Publisher publisher,
            DelayedQueue delayed, TaskMetrics metrics) {
        this.registry = registry;
        this.arguments = arguments;
        this.results = results;
        this.publisher = publisher;
        this.delayed = delayed;
        this.metrics = metrics;
    }

    /** Sends a task with positional arguments; returns its id. */
    public String delay(String task, Object... args) {
        return send(task, Arrays.asList(args), Map.of(), SendOptions.none());
    }

    /** Sends a task with positional and named arguments (bound to parameter names); returns its id. */
    public String send(String task, List<?> args, Map<String, ?> kwargs) {
        return send(task, args, kwargs, SendOptions.none());
    }

    /** Celery's {@code apply_async}: with a countdown or eta, an expiry, a chosen id or time limits. */
    public String send(String task, List<?> args, Map<String, ?> kwargs, SendOptions options) {
        TaskDefinition definition = registry.get(task);
        String id = options.taskId().orElseGet(() -> UUID.randomUUID().toString());
        String invalid = TaskIds.problem(id);
        if (invalid != null) {
            throw new TaskArgumentException("taskId of task '" + task + "': " + invalid);
        }
        TaskOptions defaults = definition.options();
        TaskMessage message = new TaskMessage(id, task, arguments.encode(task, args), arguments.encode(task, kwargs),
                0, options.eta().map(Instant::toString).orElse(null),
                options.expires().map(Instant::toString).orElse(null), id, null, definition.ignoreResult(), origin,
                TaskMessage.timelimit(options.softTimeLimit().or(defaults::softTimeLimit),
                        options.timeLimit().or(defaults::timeLimit)));
        try {
            // Recorded before publishing: a fast worker's STARTED must not be overwritten by a late PENDING.
            results.sent(id, task, definition.ignoreResult());
        } catch (RuntimeException e) {
            // A write that timed out may still land: try to take it back, so no PENDING stays for a task never sent.
            forgetQuietly(id);
            throw new TaskNotSentException(id, "task '" + task + "' not sent: the result store is unavailable", e);
        }
        try {
            enqueue(message);
        } catch (TaskNotSentException e) {
            forgetQuietly(id);
            throw e;
        } catch (TaskSendUncertainException e) {
            // The caller keeps the id and the record stays: the task may well run. Should the broker refuse it after
            // all, the record says so, rather than PENDING until it expires.
            e.lateOutcome().whenComplete((confirmed, refused) -> {
                if (refused != null) {
                    failQuietly(id, task, new TaskNotSentException(id, "task '" + task + "' was not sent after all: "
                            + refused.getMessage(), refused));
                }
            });
            throw e;
        }
        metrics.sent(task);
        return id;
    }

    /**
     * Puts a built message on its way: to the broker now, or to the delayed queue when its eta is in the future.
     * Retries and requeued dead letters come through here.
     */
    public void enqueue(TaskMessage message) {
        Instant eta = message.etaInstant().orElse(null);
        if (eta != null && eta.isAfter(Instant.now())) {
            try {
                delayed.add(message, eta);
            } catch (RuntimeException e) {
                throw new TaskNotSentException(message.id(), "task '" + message.task() + "' not scheduled: the "
                        + "delayed queue in Redis is unavailable", e);
            }
        } else {
            publisher.publish(message);
        }
    }

    private void failQuietly(String id, String task, Throwable why) {
        try {
            results.failed(id, task, why);
        } catch (RuntimeException e) {
            LOG.warnf("could not record that task %s[%s] was not sent after all: %s", task, id, e.getMessage());
        }
    }

    private void forgetQuietly(String id) {
        try {
            results.forget(id);
        } catch (RuntimeException e) {
            LOG.debugf(e, "could not drop the record of unsent task %s", id);
        }
    }
}
