package io.celeriac.worker;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.celeriac.canvas.Continuations;
import io.celeriac.client.TaskClient;
import io.celeriac.config.CeleriacConfig;
import io.celeriac.events.CeleryEvents;
import io.celeriac.control.Revocations;
import io.celeriac.deadletter.DeadLetters;
import io.celeriac.message.MalformedMessageException;
import io.celeriac.message.MessageSigner;
import io.celeriac.message.PythonRepr;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.metrics.TaskMetrics;
import io.celeriac.result.ResultStore;
import io.celeriac.result.TaskResult;
import io.celeriac.role.Role;
import io.celeriac.role.Roles;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TaskRegistry;
import io.celeriac.task.UnknownTaskException;
import io.celeriac.tracing.TaskTracing;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Consumes task messages and runs them, at most {@code celeriac.worker.concurrency} at a time. A message is acked
 * only after its task ran and the outcome was stored (Celery's {@code acks_late}), so a worker that dies mid-task
 * leaves the message to be redelivered; one that keeps coming back is dead-lettered after
 * {@code celeriac.worker.max-redeliveries}. What cannot run (malformed, unknown task) is dead-lettered with the reason
 * and the worker goes on; a revoked or expired task is recorded as REVOKED without running; a task whose record is
 * already final is not run again.
 */
@ApplicationScoped
public class Worker {

    public static final String CHANNEL = "celeriac-receive";
    private static final Logger LOG = Logger.getLogger(Worker.class);
    private static final CompletionStage<Settle> ACK = CompletableFuture.completedFuture(Settle.ACK);

    private final TaskMessageCodec codec;
    private final TaskRegistry registry;
    private final TaskRunner runner;
    private final ResultStore results;
    private final WorkerRegistry workers;
    private final DeadLetters deadLetters;
    private final Revocations revocations;
    private final CeleriacConfig config;
    private final Roles roles;
    private final TaskMetrics metrics;
    private final TaskClient client;
    private final CeleryEvents events;
    private final MessageSigner signer;
    private final Continuations continuations;
    private final TaskTracing tracing;
    /** The queue of the connector's channel: the first of {@code celeriac.worker.queues} (see QueueConsumers). */
    private final String queue;
    private volatile long lastDelivery;
    /** Set on shutdown: messages that arrive from then on are held, not run, and go back with the connection. */
    private volatile boolean draining;
    /** Messages taken in and not yet settled: what a drain waits for, from the first step, not only running tasks. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** How many times a message that fails before its task can run is tried, each after a longer pause. */
    static final int HELD_TRIES = 64;
    /** The channel's tasks run here, {@code celeriac.worker.concurrency} at a time; the rest wait their turn. */
    private final ThreadPoolExecutor runners;

    public Worker(TaskMessageCodec codec, TaskRegistry registry, TaskRunner runner, ResultStore results,
            WorkerRegistry workers, DeadLetters deadLetters, Revocations revocations, CeleriacConfig config,
            Roles roles, TaskMetrics metrics, TaskClient client, CeleryEvents events, MessageSigner signer,
            Continuations continuations, TaskTracing tracing) {
        this.tracing = tracing;
        this.continuations = continuations;
        this.metrics = metrics;
        this.signer = signer;
        this.events = events;
        events.activeTasks(() -> runner.runningIds().size());
        this.client = client;
        List<String> queues = config.worker().queues();
        if (!"smallrye-rabbitmq".equals(config.connector())
                && (queues.size() > 1 || !queues.get(0).equals(config.broker().queue()))) {
            // Its retries and deferred tasks go back to the queue it consumes, and over AMQP 1.0 sends go to the
            // default queue only.
            throw new IllegalStateException("celeriac.worker.queues=" + String.join(",", queues) + ": over AMQP "
                    + "1.0 a worker consumes the default queue (celeriac.broker.queue) alone; use the "
                    + "smallrye-rabbitmq connector for other queues");
        }
        if (config.worker().prefetchMultiplier() < 1) {
            throw new IllegalStateException("celeriac.worker.prefetch-multiplier=" + config.worker()
                    .prefetchMultiplier() + ": it is 1 or more (1: no task waits in a worker's buffer)");
        }
        this.queue = queues.get(0);
        this.codec = codec;
        this.registry = registry;
        this.runner = runner;
        this.results = results;
        this.workers = workers;
        this.deadLetters = deadLetters;
        this.revocations = revocations;
        this.config = config;
        this.roles = roles;
        workers.abandoned(runner::abandonedCount);
        AtomicInteger threads = new AtomicInteger();
        int concurrency = config.worker().concurrency();
        this.runners = new ThreadPoolExecutor(concurrency, concurrency, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread thread = new Thread(r, "celeriac-worker-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /** After the drain: what is still queued here was never started, and goes back with the connection. */
    @PreDestroy
    void stopRunners() {
        runners.shutdownNow();
    }

    /** When the last message reached this worker (epoch ms, 0 if none yet). */
    public long lastDelivery() {
        return lastDelivery;
    }

    /**
     * The channel's messages, on the connector's event loop: each is handed to the worker's own threads, and settled
     * by the worker once its outcome is stored. The stage returned completes when a thread takes the message up, and
     * the connector hands over the next one only then: what waits, waits in the connector (over 0-9-1, in the broker,
     * for the prefetch is {@code celeriac.worker.concurrency} unless {@code prefetch-multiplier} reserves more), not in
     * a queue here that nothing bounds. Over AMQP 1.0 the connector grants the broker credit itself, so it can still
     * hold more (see the README). What runs at once is bounded on both by the {@code celeriac.worker.concurrency}
     * threads. Not a SmallRye {@code @Blocking} pool: in
     * dev mode a live reload shut a named pool down under Vert.x, which handed the dead pool to the reloaded app, and
     * every later message was refused (DevModeIT).
     */
    @Incoming(CHANNEL)
    public CompletionStage<Void> receive(Message<?> message) {
        CompletableFuture<Void> taken = new CompletableFuture<>();
        try {
            runners.execute(() -> {
                taken.complete(null);
                process(message);
            });
        } catch (RejectedExecutionException e) {
            // The app is stopping: neither run nor settled, the message goes back with the connection.
            LOG.debugf("not taking a message while stopping: %s", e.getMessage());
            taken.complete(null);
        }
        return taken;
    }

    /** Runs one message on the calling thread up to its first wait; the stage completes once it is settled. */
    CompletionStage<Void> process(Message<?> message) {
        return process(message, 0);
    }

    /** As {@link #process(Message)}, for the try after {@code tries} that failed before the task could run. */
    private CompletionStage<Void> process(Message<?> message, int tries) {
        lastDelivery = System.currentTimeMillis();
        // Counted before the check: a drain that sees none in flight must not have a task start behind it.
        inFlight.incrementAndGet();
        if (draining) {
            inFlight.decrementAndGet();
            // Neither run nor settled, and no thread held (a held thread kept the process alive long after its drain):
            // the broker redelivers the message to another worker once this one's connection closes. A nack would
            // requeue it to this still-subscribed consumer at once, over and over.
            return new CompletableFuture<>();
        }
        CompletionStage<Settle> decided;
        try {
            decided = handle(message);
        } catch (RuntimeException | Error e) {
            // Redis or the broker failed before the task ran: nothing would be repeated, so it is tried again.
            LOG.errorf("could not start a task (try %d), holding its message to try again: %s", tries + 1,
                    e.toString());
            decided = CompletableFuture.completedFuture(Settle.AGAIN);
        }
        return decided.exceptionally(failure -> {
            LOG.errorf("could not finish a task message (try %d), holding it to try again: %s", tries + 1,
                    failure.toString());
            return Settle.AGAIN;
        }).thenCompose(settle -> switch (settle) {
            case ACK -> message.ack();
            case AGAIN -> {
                // Not in flight while it waits: a drain meanwhile does not wait for it, and the try after the pause
                // finds the worker draining and leaves it to the broker.
                inFlight.decrementAndGet();
                tryAgainLater(message, tries + 1);
                yield new CompletableFuture<Void>();
            }
            case LEAVE -> {
                inFlight.decrementAndGet();
                yield new CompletableFuture<Void>();
            }
        }).whenComplete((done, failure) -> inFlight.decrementAndGet());
    }

    /**
     * After a pause that holds the message, not a thread, the same delivery once more, on one of the worker's
     * threads. Not handed back to the broker at once: it would come straight back to this consumer, and each return
     * is a delivery that a quorum queue counts towards its delivery-limit, past which it dead-letters the work (a
     * Redis outage of a few minutes would). After {@link #HELD_TRIES} tries (some 10 minutes) it is handed back after
     * all, so a message that fails the same way every time is counted by the broker and does not hold a slot for ever.
     * While stopping, left unsettled: the broker redelivers it once this worker's connection closes.
     */
    private void tryAgainLater(Message<?> message, int tries) {
        if (tries >= HELD_TRIES) {
            LOG.errorf("a task message failed %d tries before it could run: handed back to the broker", tries);
            Delivery.putBack(message, new IllegalStateException("failed " + tries + " tries before it could run"));
            return;
        }
        long pause = Math.min(10_000, 1000L << Math.min(tries - 1, 4));
        CompletableFuture.delayedExecutor(pause, TimeUnit.MILLISECONDS).execute(() -> {
            try {
                runners.execute(() -> process(message, tries));
            } catch (RejectedExecutionException stopping) {
                LOG.debugf("not trying a message again while stopping: %s", stopping.getMessage());
            }
        });
    }

    /** Handles one message; the stage completes once its outcome is stored, saying how to settle it. */
    private CompletionStage<Settle> handle(Message<?> delivery) {
        Object payload = delivery.getPayload();
        Map<String, ?> headers = Delivery.headers(delivery);
        TaskMessage task;
        try {
            task = codec.decode(headers, payload).routed(Delivery.queue(delivery, queue), Delivery.priority(delivery));
        } catch (MalformedMessageException e) {
            LOG.errorf("dead-lettered a malformed task message: %s", e.getMessage());
            if (e.taskId() != null) {
                // The sender may be waiting on this id: say why it will never run.
                results.failed(e.taskId(), e.task(), e);
            }
            deadLetters.add(e.taskId(), e.task(), "malformed: " + e.getMessage(), codec.storeRaw(headers, payload));
            return ACK;
        }
        TaskTracing.Traced receiving = tracing.receiving(task, task.queue());
        try (receiving) {
            return handle(delivery, task, headers, payload).whenComplete((settle, failure) -> {
                if (settle != null) {
                    receiving.span().setAttribute("celeriac.settle", settle.name());
                }
                receiving.end(failure);
            });
        } catch (RuntimeException e) {
            receiving.end(e);
            throw e;
        }
    }

    /** Handles a decoded message, inside its consumer span. */
    private CompletionStage<Settle> handle(Message<?> delivery, TaskMessage task, Map<String, ?> headers,
            Object payload) {
        if (signer.enabled()) {
            Object signature = headers == null ? null : headers.get(MessageSigner.HEADER);
            if (!signer.verify(task, signature == null ? null : signature.toString())) {
                String reason = (signature == null ? "unsigned" : "forged or altered (its signature does not "
                        + "verify)") + ": celeriac.security.signing-key is set, so only messages signed with it run";
                // No record is written under its id: that id may be another task's, and this message proves nothing.
                LOG.errorf("dead-lettered task %s[%s]: %s", task.task(), task.id(), reason);
                deadLetters.add(task.id(), task.task(), reason, codec.storeRaw(headers, payload));
                return ACK;
            }
        }
        Optional<TaskDefinition> definition = registry.find(task.task());
        if (definition.isEmpty()) {
            UnknownTaskException unknown = new UnknownTaskException(task.task());
            return deadLettered(task, unknown.getMessage(), unknown, null);
        }
        Optional<Instant> eta = task.etaInstant();
        // A second of slack: a task the delayed queue of another node just promoted is not sent back over a clock
        // that is slightly behind that node's.
        if (eta.isPresent() && eta.get().isAfter(Instant.now().plusSeconds(1))) {
            // A countdown from a Python client arrives early. Celery holds such a message unacked until its eta, which
            // RabbitMQ's consumer timeout (30 min) turns into a redelivery loop (celery #6760); it waits in Redis here.
            client.enqueue(task);
            return ACK;
        }
        Optional<Instant> expires = task.expiresInstant();
        if (expires.isPresent() && expires.get().isBefore(Instant.now())) {
            LOG.infof("task %s[%s] expired at %s before it could start", task.task(), task.id(), expires.get());
            results.revoked(task.id(), task.task(), "expired at " + expires.get());
            continuations.revoked(task, "expired at " + expires.get());
            metrics.skipped(task.task(), "expired");
            return ACK;
        }
        // The message may say whether to keep the result (a per-call choice); when it does not, the task's own
        // declaration holds, whoever sent it.
        boolean tracked = !(task.ignoreResult() != null ? task.ignoreResult() : definition.get().ignoreResult());
        String startedAt = ResultStore.now();
        // One round trip for the checks and the STARTED record: this runs for every message.
        ResultStore.Begin begin = results.begin(task.id(), task.task(), tracked && config.worker().trackStarted(),
                runner.workerInfo(), revocations.key(task.id()), Delivery.redelivered(delivery), startedAt,
                task.queue(), task.args(), task.kwargs());
        if (begin instanceof ResultStore.Begin.Revoked) {
            LOG.infof("task %s[%s] is revoked: not running it", task.task(), task.id());
            results.revoked(task.id(), task.task(), "revoked");
            continuations.revoked(task, "revoked");
            metrics.skipped(task.task(), "revoked");
            return ACK;
        }
        if (begin instanceof ResultStore.Begin.Ready ready) {
            LOG.infof("task %s[%s] is already %s: not running it again", task.task(), task.id(), ready.state());
            if (Continuations.any(task)) {
                // Its worker may have died after storing the outcome and before what follows was sent.
                results.get(task.id()).filter(TaskResult::ready).ifPresent(outcome -> continuations.resume(task,
                        outcome));
            }
            metrics.skipped(task.task(), "ready");
            return ACK;
        }
        int deliveries = ((ResultStore.Begin.Run) begin).deliveries();
        if (deliveries > config.worker().maxRedeliveries() + 1) {
            String reason = "delivered " + deliveries + " times without an outcome (its worker died or lost the "
                    + "broker each time it ran it), more than celeriac.worker.max-redeliveries="
                    + config.worker().maxRedeliveries();
            return deadLettered(task, reason, new RedeliveryLimitExceeded(reason), startedAt);
        }
        if (events.sendsTaskEvents()) {
            events.taskReceived(task.id(), task.task(), PythonRepr.args(task.args()), PythonRepr.of(task.kwargs()),
                    task.rootId(), task.parentId(), task.retries(), task.eta(), task.expires());
        }
        long run = workers.started(task.id(), task.task());
        CompletionStage<Settle> stored;
        try {
            stored = runner.run(definition.get(), task, tracked, startedAt);
        } catch (RuntimeException e) {
            workers.finished(run);
            throw e;
        }
        return stored.whenComplete((done, failure) -> workers.finished(run));
    }

    /** FAILURE with {@code error} (the sender may be waiting on the id) and a dead letter with the reason. */
    private CompletionStage<Settle> deadLettered(TaskMessage task, String reason, Throwable error, String startedAt) {
        LOG.errorf("dead-lettered task %s[%s]: %s", task.task(), task.id(), reason);
        results.failed(task.id(), task.task(), error, startedAt);
        deadLetters.add(task.id(), task.task(), reason, codec.store(task));
        continuations.failed(task, error);
        return ACK;
    }

    /** Interrupts running tasks that were revoked since they started. */
    @Scheduled(every = "${celeriac.worker.revoke-poll-interval}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void cancelRevoked() {
        if (!roles.has(Role.WORKER) || runner.runningIds().isEmpty()) {
            return;
        }
        try {
            for (String id : revocations.revoked(runner.runningIds())) {
                if (runner.interrupt(id)) {
                    LOG.infof("interrupted revoked task %s", id);
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("could not check revocations: %s", e.getMessage());
        }
    }

    /**
     * On SIGTERM: stop taking new messages, give those in hand {@code celeriac.worker.shutdown-grace} to finish (their
     * acks still go out), then interrupt what still runs. A task stopped that way is not recorded as failed: its
     * message is left to the broker, which redelivers it to another worker once the connection closes, with the
     * messages prefetched but not started.
     */
    void drain(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        if (!roles.has(Role.WORKER)) {
            return;
        }
        draining = true;
        long deadline = System.currentTimeMillis() + config.worker().shutdownGrace().toMillis();
        while (inFlight.get() > 0 && System.currentTimeMillis() < deadline) {
            pause(100);
        }
        if (inFlight.get() == 0) {
            LOG.info("worker drained: no task running");
            return;
        }
        LOG.warnf("shutting down with %d task(s) still in hand after %d ms: interrupting them; their messages go back "
                + "to the broker", inFlight.get(), config.worker().shutdownGrace().toMillis());
        runner.stop();
        long stopped = System.currentTimeMillis() + 5_000;
        while (inFlight.get() > 0 && System.currentTimeMillis() < stopped) {
            pause(50);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
