package io.celeriac.worker;

import java.lang.reflect.InvocationTargetException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.jboss.logging.Logger;

import io.celeriac.client.TaskClient;
import io.celeriac.config.CeleriacConfig;
import io.celeriac.config.Node;
import io.celeriac.control.Revocations;
import io.celeriac.deadletter.DeadLetters;
import io.celeriac.message.Arguments;
import io.celeriac.message.TaskArgumentException;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.metrics.TaskMetrics;
import io.celeriac.result.ResultStore;
import io.celeriac.task.RetryRequested;
import io.celeriac.task.TaskContext;
import io.celeriac.task.TaskDefinition;
import io.quarkus.arc.Arc;
import io.quarkus.arc.InstanceHandle;
import io.quarkus.arc.ManagedContext;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * Runs one task the way Flask's app context does for Celery: inside a request context of its own (so request-scoped
 * beans such as {@link TaskContext} and the Hibernate session belong to this task alone) and a transaction that
 * commits when the task returns and rolls back when it throws. Enforces its time limits, retries it when its policy
 * says so, and records the outcome in the result store (the {@link Worker} has recorded STARTED).
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
    private final ObjectNode workerInfo;
    /** The thread running each task, so a revocation or a time limit can interrupt it. */
    private final Map<String, Thread> running = new ConcurrentHashMap<>();
    /** Tasks with a time limit run here, so the worker slot can be freed when the hard limit strikes. */
    private final ExecutorService limited = Executors.newCachedThreadPool(new java.util.concurrent.ThreadFactory() {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "celeriac-limited-task-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    });

    public TaskRunner(Arguments arguments, ResultStore results, TaskContext context, ObjectMapper mapper,
            CeleriacConfig config, TaskClient client, DeadLetters deadLetters, Revocations revocations,
            TaskMessageCodec codec, TaskMetrics metrics) {
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
        this.workerInfo = mapper.createObjectNode().put("pid", ProcessHandle.current().pid())
                .put("hostname", Node.hostname());
    }

    /** Interrupts the thread of a running task (a revocation); false when it does not run here. */
    public boolean interrupt(String taskId) {
        Thread thread = running.get(taskId);
        if (thread == null) {
            return false;
        }
        thread.interrupt();
        return true;
    }

    /** Who runs tasks here, as a STARTED record's meta says it (Celery's {@code {pid, hostname}}). */
    public JsonNode workerInfo() {
        return workerInfo;
    }

    public java.util.Set<String> runningIds() {
        return running.keySet();
    }

    private record Outcome(JsonNode value, Throwable error) {
    }

    /**
     * Runs the task and stores its outcome. A failure of the task itself is an outcome, not an exception; what
     * escapes (or fails the returned stage) is a failure to record the outcome or to send a retry (Redis or the broker
     * is down), which the caller must not ack. The common outcome, success, is written without holding this thread:
     * the stage completes when Redis has it.
     */
    public CompletionStage<Void> run(TaskDefinition task, TaskMessage message) {
        boolean tracked = !message.ignoreResult();
        long start = System.nanoTime();
        Outcome outcome = execute(task, message);
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (outcome.error() == null) {
            LOG.debugf("task %s[%s] succeeded in %d ms", task.name(), message.id(), millis);
            metrics.succeeded(task.name(), Duration.ofMillis(millis));
            return (tracked ? results.succeededLater(message.id(), task.name(), outcome.value())
                    : results.forgetLater(message.id())).subscribeAsCompletionStage();
        }
        failed(task, message, outcome.error(), tracked, millis);
        return CompletableFuture.completedFuture(null);
    }

    private void failed(TaskDefinition task, TaskMessage message, Throwable error, boolean tracked, long millis) {
        boolean retried = recordFailure(task, message, error, tracked, millis);
        if (retried) {
            metrics.retried(task.name());
        } else {
            metrics.failed(task.name(), Duration.ofMillis(millis));
        }
    }

    /** Records a failed run; true when the task was sent again for a retry. */
    private boolean recordFailure(TaskDefinition task, TaskMessage message, Throwable error, boolean tracked,
            long millis) {
        String id = message.id();
        if (revocations.isRevoked(id)) {
            LOG.infof("task %s[%s] was revoked while running (%d ms)", task.name(), id, millis);
            results.forget(id);
            return false;
        }
        if (error instanceof TaskArgumentException) {
            LOG.warnf("task %s[%s] cannot run: %s", task.name(), id, error.getMessage());
            results.failed(id, task.name(), error);
            deadLetter(message, "arguments do not fit: " + error.getMessage());
            return false;
        }
        boolean asked = error instanceof RetryRequested;
        Throwable cause = asked && error.getCause() != null ? error.getCause() : error;
        if (asked || task.options().retriesOn(error)) {
            if (message.retries() < task.options().maxRetries()) {
                int retry = message.retries() + 1;
                Duration delay = (asked ? ((RetryRequested) error).countdown() : Optional.<Duration> empty())
                        .orElseGet(() -> task.options().backoff(retry));
                Instant eta = Instant.now().plus(delay);
                LOG.infof("task %s[%s] failed (%s); retry %d of %d in %d ms", task.name(), id, cause, retry,
                        task.options().maxRetries(), delay.toMillis());
                if (tracked) {
                    results.retrying(id, task.name(), retry, cause, eta);
                }
                client.enqueue(message.retry(retry, eta));
                return true;
            }
            LOG.warnf("task %s[%s] failed after %d retries: %s", task.name(), id, message.retries(), cause);
            results.failed(id, task.name(), cause);
            deadLetter(message, "out of retries (" + message.retries() + "): " + cause);
            return false;
        }
        LOG.warnf("task %s[%s] failed after %d ms: %s", task.name(), id, millis, cause);
        if (tracked || config.taskStoreErrorsEvenIfIgnored()) {
            results.failed(id, task.name(), cause);
        } else {
            results.forget(id);
        }
        return false;
    }

    private void deadLetter(TaskMessage message, String reason) {
        deadLetters.add(message.id(), message.task(), reason,
                new String(codec.encode(message), java.nio.charset.StandardCharsets.UTF_8));
    }

    private Outcome execute(TaskDefinition task, TaskMessage message) {
        AtomicBoolean softExceeded = new AtomicBoolean();
        Callable<JsonNode> body = () -> runInContext(task, message, softExceeded);
        Optional<Duration> soft = message.softTimeLimit();
        Optional<Duration> hard = message.hardTimeLimit();
        if (soft.isEmpty() && hard.isEmpty()) {
            try {
                return new Outcome(body.call(), null);
            } catch (Throwable t) {
                return new Outcome(null, unwrap(t));
            }
        }
        Future<JsonNode> future = limited.submit(body);
        long started = System.nanoTime();
        try {
            if (soft.isPresent() && (hard.isEmpty() || soft.get().compareTo(hard.get()) < 0)) {
                try {
                    return new Outcome(future.get(soft.get().toNanos(), TimeUnit.NANOSECONDS), null);
                } catch (TimeoutException e) {
                    softExceeded.set(true);
                    LOG.infof("task %s[%s] passed its soft time limit (%d ms): interrupting it", task.name(),
                            message.id(), soft.get().toMillis());
                    interrupt(message.id());
                }
            }
            if (hard.isEmpty()) {
                return new Outcome(future.get(), null);
            }
            long left = hard.get().toNanos() - (System.nanoTime() - started);
            try {
                return new Outcome(future.get(Math.max(0, left), TimeUnit.NANOSECONDS), null);
            } catch (TimeoutException e) {
                // The thread cannot be killed: it is interrupted and abandoned, and the slot goes to the next task.
                interrupt(message.id());
                future.cancel(true);
                return new Outcome(null, new TimeLimitExceeded(hard.get()));
            }
        } catch (ExecutionException e) {
            return new Outcome(null, unwrap(e.getCause()));
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            return new Outcome(null, e);
        }
    }

    private JsonNode runInContext(TaskDefinition task, TaskMessage message, AtomicBoolean softExceeded)
            throws Exception {
        running.put(message.id(), Thread.currentThread());
        ManagedContext request = Arc.container().requestContext();
        request.activate();
        try {
            context.enter(message.id(), task.name(), message.retries(), message.ignoreResult(), softExceeded::get);
            Object[] args = arguments.bind(task.name(), task.method(), message.args(), message.kwargs());
            Object returned = QuarkusTransaction.requiringNew().call(() -> invoke(task, args));
            return mapper.valueToTree(returned);
        } finally {
            request.terminate();
            running.remove(message.id(), Thread.currentThread());
            // A revocation's interrupt must not leak into the next task this thread runs.
            Thread.interrupted();
        }
    }

    private static Throwable unwrap(Throwable thrown) {
        return thrown instanceof TaskThrew t ? t.getCause() : thrown;
    }

    private static Object invoke(TaskDefinition task, Object[] args) {
        try (InstanceHandle<?> bean = Arc.container().instance(task.bean())) {
            return task.method().invoke(bean.get(), args);
        } catch (InvocationTargetException e) {
            throw new TaskThrew(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot call task method " + task.method(), e);
        }
    }

    @PreDestroy
    void stop() {
        limited.shutdownNow();
    }

    /** Carries what the task method threw through the transaction boundary, which rolls back on it. */
    private static final class TaskThrew extends RuntimeException {
        TaskThrew(Throwable cause) {
            super(cause);
        }
    }
}
