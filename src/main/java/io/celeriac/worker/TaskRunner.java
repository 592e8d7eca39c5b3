package io.celeriac.worker;

import java.lang.reflect.InvocationTargetException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.SystemException;
import jakarta.transaction.TransactionManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.jboss.logging.Logger;

import io.celeriac.canvas.Continuations;
import io.celeriac.client.TaskClient;
import io.celeriac.config.CeleriacConfig;
import io.celeriac.config.Node;
import io.celeriac.events.CeleryEvents;
import io.celeriac.control.Revocations;
import io.celeriac.deadletter.DeadLetters;
import io.celeriac.message.Arguments;
import io.celeriac.message.TaskArgumentException;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.message.PythonRepr;
import io.celeriac.metrics.TaskMetrics;
import io.celeriac.result.ResultStore;
import io.celeriac.result.TaskResult;
import io.celeriac.task.RetryRequested;
import io.celeriac.task.TaskContext;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TimeLimitExceeded;
import io.celeriac.tracing.TaskTracing;
import io.quarkus.arc.Arc;
import io.quarkus.arc.InstanceHandle;
import io.quarkus.arc.ManagedContext;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * Runs one task the way Flask's app context does for Celery: inside a request context of its own, so request-scoped
 * beans such as {@link TaskContext} and the Hibernate session belong to this task alone. A task gets a transaction
 * around its whole run only if it asks ({@code @Task(transactional = true)}), timed by its hard limit; otherwise its
 * own {@code @Transactional} code or {@code QuarkusTransaction} decides, so a task may run for hours without a
 * transaction timing out and without holding a database connection it does not use. Enforces time limits, retries
 * the task when its policy says so, and records the outcome; a write that fails is tried again, holding the message
 * rather than running the task again.
 */
@ApplicationScoped
public class TaskRunner {

    private static final Logger LOG = Logger.getLogger(TaskRunner.class);

    private final Arguments arguments;
    private final ResultStore results;
    private final TaskContext context;
    private final ObjectMapper mapper;
    private final CeleriacConfig config;
    private final TaskClient client;
    private final DeadLetters deadLetters;
    private final Revocations revocations;
    private final TaskMessageCodec codec;
    private final TaskMetrics metrics;
    private final TransactionManager transactions;
    private final OutcomeWrites writes;
    private final CeleryEvents events;
    private final Continuations continuations;
    private final TaskTracing tracing;
    private final long maxResultSize;
    private final ObjectNode workerInfo;
    private final Set<Execution> running = ConcurrentHashMap.newKeySet();
    /** Attempts past their hard limit that still run: Java cannot stop a thread that ignores interrupts. */
    private final Set<Execution> abandoned = ConcurrentHashMap.newKeySet();
    /**
     * Tasks with a time limit run here, so the worker slot can be freed when the hard limit strikes. Bounded: the
     * worker's concurrency plus as many abandoned attempts again; past that the worker fails liveness.
     */
    private final ThreadPoolExecutor limited;
    private volatile boolean stopping;

    public TaskRunner(Arguments arguments, ResultStore results, TaskContext context, ObjectMapper mapper,
            CeleriacConfig config, TaskClient client, DeadLetters deadLetters, Revocations revocations,
            TaskMessageCodec codec, TaskMetrics metrics, TransactionManager transactions, CeleryEvents events,
            Continuations continuations, TaskTracing tracing) {
        this.tracing = tracing;
        this.continuations = continuations;
        this.events = events;
        this.maxResultSize = config.resultMaxSize().asLongValue();
        this.arguments = arguments;
        this.results = results;
        this.context = context;
        this.mapper = mapper;
        this.config = config;
        this.client = client;
        this.deadLetters = deadLetters;
        this.revocations = revocations;
        this.codec = codec;
        this.metrics = metrics;
        this.transactions = transactions;
        this.writes = new OutcomeWrites(() -> stopping, tracing);
        this.workerInfo = mapper.createObjectNode().put("pid", ProcessHandle.current().pid())
                .put("hostname", Node.hostname());
        int concurrency = config.worker().concurrency();
        this.limited = new ThreadPoolExecutor(0, 2 * concurrency, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                new ThreadFactory() {
                    private final AtomicInteger count = new AtomicInteger();

                    @Override
                    public Thread newThread(Runnable r) {
                        Thread t = new Thread(r, "celeriac-limited-task-" + count.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    }
                });
        metrics.gauge("celeriac.worker.abandoned", abandoned::size);
    }

    /** Interrupts the running attempts of a task (a revocation); false when none runs here. */
    public boolean interrupt(String taskId) {
        boolean found = false;
        for (Execution execution : running) {
            if (execution.taskId.equals(taskId)) {
                found |= execution.interrupt();
            }
        }
        return found;
    }

    /** Who runs tasks here, as a STARTED record's meta says it (Celery's {@code {pid, hostname}}). */
    public JsonNode workerInfo() {
        return workerInfo;
    }

    public List<String> runningIds() {
        return running.stream().map(e -> e.taskId).distinct().toList();
    }

    /** Attempts abandoned at their hard limit whose threads still run. */
    public int abandonedCount() {
        abandoned.removeIf(e -> !e.alive());
        return abandoned.size();
    }

    /** How many abandoned attempts the worker holds before it fails liveness and refuses limited tasks. */
    int abandonedLimit() {
        return config.worker().concurrency();
    }

    /**
     * Shutdown, past the grace period: running attempts are interrupted, and whatever ends from now on without a
     * stored outcome is left to the broker to run elsewhere, not recorded as a failure.
     */
    void stop() {
        stopping = true;
        running.forEach(Execution::interrupt);
    }

    boolean stopping() {
        return stopping;
    }

    private record Outcome(JsonNode value, Throwable error) {
    }

    /**
     * Runs the task and stores its outcome; the stage says how to settle the message. A failure of the task itself is
     * an outcome. The common outcome, success, is written without holding this thread.
     */
    public CompletionStage<Settle> run(TaskDefinition task, TaskMessage message, boolean tracked, String startedAt) {
        Execution execution = new Execution(message.id(), task.name(), startedAt);
        long start = System.nanoTime();
        Outcome outcome;
        running.add(execution);
        events.taskStarted(message.id());
        TaskTracing.Traced span = tracing.running(message);
        try (span) {
            outcome = execute(task, message, tracked, execution);
        } catch (RuntimeException | Error e) {
            span.end(e);
            throw e;
        } finally {
            running.remove(execution);
        }
        span.end(outcome == null ? null : outcome.error());
        if (outcome == null) {
            return CompletableFuture.completedFuture(Settle.AGAIN);
        }
        Duration runtime = Duration.ofNanos(System.nanoTime() - start);
        if (stopping && outcome.error() != null) {
            LOG.warnf("task %s stopped by the shutdown after %d ms: left to the broker to run again", execution,
                    runtime.toMillis());
            return CompletableFuture.completedFuture(Settle.LEAVE);
        }
        if (outcome.error() == null) {
            LOG.debugf("task %s succeeded in %d ms", execution, runtime.toMillis());
            metrics.succeeded(task.name(), runtime);
            // Called either way: it counts the task for the heartbeats' "processed".
            events.taskSucceeded(message.id(), events.sendsTaskEvents() ? PythonRepr.of(outcome.value()) : null,
                    runtime.toNanos() / 1e9);
            if (Continuations.any(message)) {
                // What follows is sent from this thread, after the outcome is stored and before the ack: a crash in
                // between leaves a redelivery that resumes it from the stored outcome (Worker).
                AtomicReference<TaskResult> refused = new AtomicReference<>();
                Settle stored = writes.now("the outcome of " + execution, () -> {
                    if (!tracked) {
                        results.forget(message.id());
                    } else if (!results.succeeded(message.id(), task.name(), outcome.value(), startedAt)) {
                        // Already final (revoked while it ran): what follows goes by the stored outcome.
                        refused.set(results.get(message.id()).filter(TaskResult::ready).orElse(null));
                    }
                });
                return CompletableFuture.completedFuture(then(stored, message, () -> {
                    if (refused.get() != null) {
                        continuations.resume(message, refused.get());
                    } else {
                        continuations.succeeded(message, outcome.value());
                    }
                }));
            }
            Duration timeout = config.worker().writeTimeout();
            return writes.later("the outcome of " + execution, () -> tracked
                    ? results.succeededLater(message.id(), task.name(), outcome.value(), startedAt, timeout)
                    : results.forgetLater(message.id(), timeout));
        }
        return CompletableFuture.completedFuture(failed(task, message, execution, outcome.error(), tracked,
                runtime));
    }

    private Settle failed(TaskDefinition task, TaskMessage message, Execution execution, Throwable error,
            boolean tracked, Duration runtime) {
        String id = message.id();
        String name = task.name();
        String startedAt = execution.startedAt;
        String what = "the failure of " + execution;
        if (revokedQuietly(id)) {
            LOG.infof("task %s was revoked while running (%d ms)", execution, runtime.toMillis());
            return then(writes.now(what, () -> results.forget(id)), message,
                    () -> continuations.revoked(message, "revoked"));
        }
        if (error instanceof TaskArgumentException) {
            LOG.warnf("task %s cannot run: %s", execution, error.getMessage());
            metrics.failed(name, runtime);
            return deadLettered(message, error, startedAt, "arguments do not fit: " + error.getMessage());
        }
        boolean asked = error instanceof RetryRequested;
        Throwable cause = asked && error.getCause() != null ? error.getCause() : error;
        boolean retryable = !(error instanceof ResultNotStorable) && (asked || task.options().retriesOn(error));
        if (retryable && error instanceof TimeLimitExceeded && execution.alive()) {
            // A retry would run beside the abandoned attempt, which has not stopped.
            LOG.warnf("task %s passed its hard time limit and still runs: not retried", execution);
            retryable = false;
            cause = new TimeLimitExceeded(error.getMessage() + "; not retried: the abandoned attempt still runs");
        }
        if (retryable && message.retries() < task.options().maxRetries()) {
            int retry = message.retries() + 1;
            Duration delay = asked ? ((RetryRequested) error).countdown().orElseGet(() -> task.options().backoff(retry))
                    : task.options().backoff(retry);
            Instant eta = Instant.now().plus(delay);
            Throwable reason = cause;
            LOG.infof("task %s failed (%s); retry %d of %d in %d ms", execution, cause, retry,
                    task.options().maxRetries(), delay.toMillis());
            metrics.retried(name);
            events.taskRetried(id, String.valueOf(cause), null);
            return writes.now(what, () -> {
                if (results.retrying(id, name, retry, reason, eta, startedAt)) {
                    client.enqueue(message.retry(retry, eta));
                } else {
                    LOG.warnf("task %s is already final: no retry sent", execution);
                }
            });
        }
        metrics.failed(name, runtime);
        events.taskFailed(id, String.valueOf(cause), null);
        if (retryable) {
            LOG.warnf("task %s failed after %d retries: %s", execution, message.retries(), cause);
            return deadLettered(message, cause, startedAt, "out of retries (" + message.retries() + "): " + cause);
        }
        LOG.warnf("task %s failed after %d ms: %s", execution, runtime.toMillis(), cause);
        Throwable reason = cause;
        boolean stored = tracked || config.taskStoreErrorsEvenIfIgnored();
        return then(writes.now(what, () -> {
            if (stored) {
                results.failed(id, name, reason, startedAt);
            } else {
                results.forget(id);
            }
        }), message, () -> continuations.failed(message, reason));
    }

    /**
     * What follows a task in its workflow, sent once its outcome is stored, as a write of its own: tried until it
     * lands without storing the outcome again.
     */
    private Settle then(Settle stored, TaskMessage message, Runnable followUps) {
        if (stored != Settle.ACK || !Continuations.any(message)) {
            return stored;
        }
        return writes.now("what follows " + message.task() + "[" + message.id() + "]", followUps);
    }

    /**
     * Whether the failure came from a revocation, for the log: the REVOKED record is already there and final, so a
     * failed read only costs the log line.
     */
    private boolean revokedQuietly(String id) {
        try {
            return revocations.isRevoked(id);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** FAILURE and a dead letter, both written before the message is acked. */
    private Settle deadLettered(TaskMessage message, Throwable error, String startedAt, String reason) {
        var letter = deadLetters.letter(message.id(), message.task(), reason, codec.store(message));
        Settle stored = writes.now("the dead letter of " + message.task() + "[" + message.id() + "]", () -> {
            results.failed(message.id(), message.task(), error, startedAt);
            deadLetters.add(letter);
        });
        return then(stored, message, () -> continuations.failed(message, error));
    }

    /** Runs the attempt within its limits; null when it could not start here and must go back to the broker. */
    private Outcome execute(TaskDefinition task, TaskMessage message, boolean tracked, Execution execution) {
        Optional<Duration> soft = earliest(message.softTimeLimit(), task.options().softTimeLimit());
        Optional<Duration> hard = earliest(message.hardTimeLimit(), task.options().timeLimit());
        if (soft.isEmpty() && hard.isEmpty()) {
            try {
                return new Outcome(body(task, message, tracked, execution, hard), null);
            } catch (Throwable t) {
                return new Outcome(null, unwrap(t));
            }
        }
        Future<JsonNode> future;
        try {
            // In the run's span, which is current on this thread only.
            future = limited.submit(io.opentelemetry.context.Context.current()
                    .wrap(() -> body(task, message, tracked, execution, hard)));
        } catch (RejectedExecutionException e) {
            LOG.errorf("no thread free for time-limited task %s (%d abandoned attempts still run): trying again later",
                    execution, abandonedCount());
            return null;
        }
        long started = System.nanoTime();
        try {
            if (soft.isPresent() && (hard.isEmpty() || soft.get().compareTo(hard.get()) < 0)) {
                try {
                    return new Outcome(future.get(soft.get().toNanos(), TimeUnit.NANOSECONDS), null);
                } catch (TimeoutException e) {
                    LOG.infof("task %s passed its soft time limit (%d ms): interrupting it", execution,
                            soft.get().toMillis());
                    execution.passSoftLimit();
                }
            }
            if (hard.isEmpty()) {
                return new Outcome(future.get(), null);
            }
            long left = hard.get().toNanos() - (System.nanoTime() - started);
            try {
                return new Outcome(future.get(Math.max(0, left), TimeUnit.NANOSECONDS), null);
            } catch (TimeoutException e) {
                return abandon(execution, hard.get());
            }
        } catch (ExecutionException e) {
            return new Outcome(null, unwrap(e.getCause()));
        } catch (InterruptedException e) {
            execution.interrupt();
            Thread.currentThread().interrupt();
            return new Outcome(null, e);
        }
    }

    /**
     * The hard limit struck. The thread cannot be killed: it is interrupted and abandoned, and the slot goes to the
     * next task. Its transaction, if the worker opened one, can no longer commit; what the task commits itself, or
     * does outside a transaction, Java cannot undo.
     */
    private Outcome abandon(Execution execution, Duration limit) {
        boolean noCommit = execution.forbidCommit();
        execution.interrupt();
        // Most tasks stop on the interrupt: give it a moment before counting it as abandoned.
        for (int i = 0; i < 20 && execution.alive(); i++) {
            pause(10);
        }
        if (execution.alive()) {
            abandoned.add(execution);
            LOG.warnf("task %s passed its hard time limit (%d ms) and ignores its interrupt: abandoned%s", execution,
                    limit.toMillis(), noCommit ? "; its transaction will roll back" : "");
        }
        return new Outcome(null, new TimeLimitExceeded(limit));
    }

    private JsonNode body(TaskDefinition task, TaskMessage message, boolean tracked, Execution execution,
            Optional<Duration> hard) throws Exception {
        execution.bind();
        ManagedContext request = Arc.container().requestContext();
        request.activate();
        try (TaskLogContext logs = TaskLogContext.enter(task.name(), message.id())) {
            context.enter(message.id(), task.name(), message.retries(), !tracked, execution.startedAt,
                    execution::softLimitExceeded);
            Object[] args = arguments.bind(task.name(), task.method(), message.args(), message.kwargs());
            if (!task.options().transactional()) {
                return encode(task, invoke(task, args));
            }
            // The task's transaction lasts as long as its hard limit allows, so a long task does not meet the 60 s
            // default; the result is encoded inside it, so a result that cannot be stored rolls the work back.
            int timeout = hard.map(d -> (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toSeconds() + 1))).orElse(0);
            return QuarkusTransaction.requiringNew().timeout(timeout).call(() -> {
                execution.transaction(currentTransaction());
                return encode(task, invoke(task, args));
            });
        } finally {
            request.terminate();
            execution.end();
        }
    }

    private jakarta.transaction.Transaction currentTransaction() {
        try {
            return transactions.getTransaction();
        } catch (SystemException e) {
            return null;
        }
    }

    private JsonNode encode(TaskDefinition task, Object returned) {
        JsonNode tree;
        try {
            tree = mapper.valueToTree(returned);
        } catch (IllegalArgumentException e) {
            throw new ResultNotStorable(task.name(), returned, e);
        }
        // Only values that could be large are measured: a number or a short text cannot pass the limit.
        if (tree.isContainerNode() || (tree.isTextual() && tree.textValue().length() * 6L > maxResultSize)) {
            long size;
            try {
                size = io.celeriac.message.WireJson.MAPPER.writeValueAsBytes(tree).length;
            } catch (java.io.IOException e) {
                throw new ResultNotStorable(task.name(), returned, e);
            }
            if (size > maxResultSize) {
                throw new ResultNotStorable(task.name(), size, maxResultSize);
            }
        }
        return tree;
    }

    private static Optional<Duration> earliest(Optional<Duration> a, Optional<Duration> b) {
        if (a.isEmpty()) {
            return b;
        }
        if (b.isEmpty()) {
            return a;
        }
        return Optional.of(a.get().compareTo(b.get()) <= 0 ? a.get() : b.get());
    }

    private static Throwable unwrap(Throwable thrown) {
        return thrown instanceof TaskThrew t ? t.getCause() : thrown;
    }

    private static Object invoke(TaskDefinition task, Object[] args) {
        try (InstanceHandle<?> bean = Arc.container().instance(task.bean())) {
            return task.method().invoke(bean.get(), args);
        } catch (InvocationTargetException e) {
            throw new TaskThrew(e.getCause());
        } catch (IllegalAccessException | IllegalArgumentException e) {
            throw new IllegalStateException("cannot call task method " + task.method(), e);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @PreDestroy
    void close() {
        limited.shutdownNow();
    }

    /** Carries what the task method threw through the transaction boundary, which rolls back on it. */
    private static final class TaskThrew extends RuntimeException {
        TaskThrew(Throwable cause) {
            super(cause);
        }
    }
}
