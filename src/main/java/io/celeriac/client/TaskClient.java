package io.celeriac.client;

import java.lang.reflect.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.control.Revocations;
import io.celeriac.message.Arguments;
import io.celeriac.message.CeleryTime;
import io.celeriac.message.TaskArgumentException;
import io.celeriac.message.TaskIds;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskTooLargeException;
import io.celeriac.message.WireJson;
import io.celeriac.metrics.TaskMetrics;
import io.celeriac.outbox.Outbox;
import io.celeriac.result.GroupStore;
import io.celeriac.result.ResultStore;
import io.celeriac.result.ResultWaiter;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TaskOptions;
import io.celeriac.task.TaskRegistry;
import io.celeriac.tracing.TaskTracing;

/**
 * Sends tasks to the workers, like Celery's {@code delay}, {@code apply_async} and {@code send_task}. A call returns
 * the task's {@link AsyncResult} only once the broker has confirmed the message (or, for a task with an eta, once Redis holds it), and otherwise fails
 * within {@code celeriac.task-publish-timeout}: with {@link TaskNotSentException} when nothing was queued, with
 * {@link TaskSendUncertainException} when the message left but its confirm did not come (the task may run; its
 * record is kept). Inside an active transaction (with {@code celeriac.outbox.enabled}), a call returns at once and the
 * task is published after the commit, and never for a rollback: see {@link Outbox}.
 */
@ApplicationScoped
public class TaskClient {

    private static final Logger LOG = Logger.getLogger(TaskClient.class);
    /**
     * How long a send that may not have reached the broker waits before it goes again: its first copy, if it was
     * queued, has likely run by then.
     */
    static final Duration RESEND_AFTER = Duration.ofSeconds(3);

    private final TaskRegistry registry;
    private final Arguments arguments;
    private final ResultStore results;
    private final Publisher publisher;
    private final DelayedQueue delayed;
    private final TaskMetrics metrics;
    private final Routes routes;
    private final ResultWaiter waiter;
    private final Revocations revocations;
    private final ObjectMapper mapper;
    private final long maxArgsSize;
    private final GroupStore groups;
    private final Outbox outbox;
    private final TaskTracing tracing;

    public TaskClient(TaskRegistry registry, Arguments arguments, ResultStore results, Publisher publisher,
            DelayedQueue delayed, TaskMetrics metrics, Routes routes, ResultWaiter waiter, Revocations revocations,
            ObjectMapper mapper, io.celeriac.config.CeleriacConfig config, GroupStore groups, Outbox outbox,
            TaskTracing tracing) {
        this.tracing = tracing;
        this.groups = groups;
        this.outbox = outbox;
        this.maxArgsSize = config.taskMaxArgsSize().asLongValue();
        this.registry = registry;
        this.arguments = arguments;
        this.results = results;
        this.publisher = publisher;
        this.delayed = delayed;
        this.metrics = metrics;
        this.routes = routes;
        this.waiter = waiter;
        this.revocations = revocations;
        this.mapper = mapper;
    }

    /** Sends a task of this application with positional arguments. */
    public <T> AsyncResult<T> delay(String task, Object... args) {
        return send(task, Arrays.asList(args), Map.of(), SendOptions.none());
    }

    /** Sends a task of this application with positional and named arguments (bound to parameter names). */
    public <T> AsyncResult<T> send(String task, List<?> args, Map<String, ?> kwargs) {
        return send(task, args, kwargs, SendOptions.none());
    }

    /**
     * Celery's {@code apply_async} for a task of this application: its arguments are checked against the task method
     * here, so a call that could never run fails with {@link TaskArgumentException} before anything is sent.
     */
    public <T> AsyncResult<T> send(String task, List<?> args, Map<String, ?> kwargs, SendOptions options) {
        TaskDefinition definition = registry.get(task);
        ArrayNode encodedArgs = arguments.encode(task, args);
        ObjectNode encodedKwargs = arguments.encode(task, kwargs);
        arguments.bind(task, definition.method(), encodedArgs, encodedKwargs);
        TaskOptions defaults = definition.options();
        String queue = routes.queue(task, options.queue(), defaults.queue());
        Integer priority = options.priority().or(defaults::priority).orElse(null);
        List<Double> timelimit = TaskMessage.timelimit(options.softTimeLimit().or(defaults::softTimeLimit),
                options.timeLimit().or(defaults::timeLimit));
        String id = send(task, encodedArgs, encodedKwargs, options, definition.ignoreResult(), timelimit, queue,
                priority);
        return handle(id, task, definition.method().getGenericReturnType(), definition.ignoreResult());
    }

    /**
     * Celery's {@code send_task}: sends a task by name, one this application need not define (a Python task, say),
     * routed by {@code celeriac.task-routes} and the call's queue. Its arguments are not checked here, and its result
     * is kept. The handle reads the value as plain JSON values; {@link AsyncResult#as} reads it as a type.
     */
    public AsyncResult<Object> sendTask(String task, List<?> args, Map<String, ?> kwargs, SendOptions options) {
        Optional<TaskDefinition> own = registry.find(task);
        String queue = routes.queue(task, options.queue(), own.flatMap(d -> d.options().queue()));
        String id = send(task, arguments.encode(task, args), arguments.encode(task, kwargs), options, false,
                TaskMessage.timelimit(options.softTimeLimit(), options.timeLimit()), queue,
                options.priority().orElse(null));
        return handle(id, task, Object.class, false);
    }

    /** The handle of a task sent before, by anyone, from its id. */
    public AsyncResult<Object> result(String id) {
        String invalid = TaskIds.problem(id);
        if (invalid != null) {
            throw new TaskArgumentException("task id: " + invalid);
        }
        return handle(id, null, Object.class, false);
    }

    /**
     * The handle of a group (or a chord's header) sent before, by anyone who saved it, from its id; empty when no group
     * is saved under that id (never sent, or expired).
     */
    public Optional<GroupResult> group(String id) {
        String invalid = TaskIds.problem(id);
        if (invalid != null) {
            throw new TaskArgumentException("group id: " + invalid);
        }
        return groups.members(id).map(ids -> group(id, ids));
    }

    /** The handle of a group with these members, in order. */
    public GroupResult group(String id, List<String> memberIds) {
        return new GroupResult(id, memberIds.stream().map(this::result).toList(), results);
    }

    private <T> AsyncResult<T> handle(String id, String task, Type type, boolean ignored) {
        return new AsyncResult<>(id, task, type, ignored, results, waiter, revocations, mapper);
    }

    private String send(String task, ArrayNode args, ObjectNode kwargs, SendOptions options, boolean ignoreResult,
            List<Double> timelimit, String queue, Integer priority) {
        checkSize(task, args, kwargs);
        String id = options.taskId().orElseGet(() -> UUID.randomUUID().toString());
        String invalid = TaskIds.problem(id);
        if (invalid != null) {
            throw new TaskArgumentException("taskId of task '" + task + "': " + invalid);
        }
        if (priority != null && (priority < 0 || priority > 9)) {
            throw new TaskArgumentException("priority of task '" + task + "' is " + priority + ": it is 0 to 9");
        }
        TaskMessage message = new TaskMessage(id, task, args, kwargs, null, 0,
                options.eta().map(CeleryTime::format).orElse(null),
                options.expires().map(CeleryTime::format).orElse(null), id, null, null, null, ignoreResult, null,
                timelimit, null, queue, priority, null);
        TaskTracing.Traced sending = tracing.sending(task, queue, 1);
        try (sending) {
            sending.span().setAttribute("messaging.message.id", id);
            String sent = send(tracing.stamp(message));
            sending.end(null);
            return sent;
        } catch (RuntimeException e) {
            sending.end(e);
            throw e;
        }
    }

    /** Sends a new task's message: its record first, then the message, or both through the outbox. */
    private String send(TaskMessage message) {
        String id = message.id();
        String task = message.task();
        boolean ignoreResult = Boolean.TRUE.equals(message.ignoreResult());
        // Before the outbox takes it: a message no publish could route would otherwise fail only after the commit.
        publisher.checkRoutable(message);
        if (outbox.hold(message)) {
            // Inside a transaction: recorded and published once it commits, never if it rolls back.
            return id;
        }
        try {
            // Recorded before publishing: a fast worker's STARTED must not be overwritten by a late PENDING.
            results.sent(id, task, ignoreResult);
        } catch (RuntimeException e) {
            // A write that timed out may still land: try to take it back, so no PENDING stays for a task never sent.
            forgetQuietly(id);
            throw new TaskNotSentException(id, "task '" + task + "' not sent: the result store is unavailable", e);
        }
        try {
            enqueueStamped(List.of(message));
        } catch (TaskNotSentException e) {
            forgetQuietly(id);
            throw e;
        } catch (TaskSendUncertainException e) {
            if (e.getCause() instanceof MaybePublished) {
                // The connection failed with the message on it, perhaps with the broker node that had it
                // (scripts/cluster-chaos lost every such send with the node). Sent again under the same id from the
                // delayed queue, which any instance promotes: should both copies be queued, the later one finds the
                // record final and does not run, unless both run at once. Twice rather than never.
                resendLater(message);
                throw e;
            }
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

    private void resendLater(TaskMessage message) {
        try {
            delayed.addOnce(message, Instant.now().plus(RESEND_AFTER), UUID.randomUUID().toString());
        } catch (RuntimeException e) {
            LOG.warnf("task %s[%s] may not have been sent, and could not be kept to send again: %s",
                    message.task(), message.id(), e.toString());
        }
    }

    /**
     * Puts a built message on its way: to the broker now, or to the delayed queue when its eta is in the future.
     * Retries and requeued dead letters come through here.
     */
    public void enqueue(TaskMessage message) {
        enqueueAll(List.of(message));
    }

    /**
     * As {@link #enqueue}, for many messages: those due now are published together (one wait for the confirms). They
     * are sent from a producer span of their own, in the current trace.
     */
    public void enqueueAll(List<TaskMessage> messages) {
        if (messages.isEmpty()) {
            return;
        }
        TaskMessage first = messages.get(0);
        TaskTracing.Traced sending = tracing.sending(first.task(), first.queue(), messages.size());
        try (sending) {
            enqueueStamped(messages.stream().map(tracing::stamp).toList());
            sending.end(null);
        } catch (RuntimeException e) {
            sending.end(e);
            throw e;
        }
    }

    private void enqueueStamped(List<TaskMessage> messages) {
        List<TaskMessage> now = new java.util.ArrayList<>(messages.size());
        for (TaskMessage message : messages) {
            publisher.checkRoutable(message);
            Instant eta = message.etaInstant().orElse(null);
            if (eta != null && eta.isAfter(Instant.now())) {
                try {
                    delayed.add(message, eta);
                } catch (RuntimeException e) {
                    throw new TaskNotSentException(message.id(), "task '" + message.task() + "' not scheduled: the "
                            + "delayed queue in Redis is unavailable", e);
                }
            } else {
                now.add(message);
            }
        }
        if (!now.isEmpty()) {
            publisher.publishAll(now);
        }
    }

    /** Fails with {@link TaskTooLargeException} when the arguments pass {@code celeriac.task-max-args-size}. */
    public void checkSize(String task, ArrayNode args, ObjectNode kwargs) {
        long max = maxArgsSize;
        long size;
        try {
            size = (long) WireJson.MAPPER.writeValueAsBytes(args).length + WireJson.MAPPER.writeValueAsBytes(kwargs).length;
        } catch (java.io.IOException e) {
            throw new TaskArgumentException("arguments of task '" + task + "' cannot be written as JSON", e);
        }
        if (size > max) {
            throw new TaskTooLargeException("the arguments of task '" + task + "' are " + size + " bytes of JSON, more "
                    + "than celeriac.task-max-args-size (" + max + " bytes): pass ids, not data");
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
