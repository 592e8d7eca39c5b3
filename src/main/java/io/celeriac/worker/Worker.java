package io.celeriac.worker;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.control.Revocations;
import io.celeriac.deadletter.DeadLetters;
import io.celeriac.message.MalformedMessageException;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.result.ResultStore;
import io.celeriac.role.Role;
import io.celeriac.role.Roles;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TaskRegistry;
import io.celeriac.task.UnknownTaskException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Consumes task messages and runs them, at most {@code celeriac.worker.concurrency} at a time. A message is acked
 * only after its task ran and the outcome was stored (Celery's {@code acks_late}), so a worker that dies mid-task
 * leaves the message to be redelivered. What cannot run (malformed, unknown task) is dead-lettered with the reason
 * and the worker goes on; a revoked or expired task is recorded as REVOKED without running; a redelivered task whose
 * result is already SUCCESS is not run again.
 */
@ApplicationScoped
public class Worker {

    public static final String CHANNEL = "celeriac-receive";
    private static final Logger LOG = Logger.getLogger(Worker.class);
    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    private final TaskMessageCodec codec;
    private final TaskRegistry registry;
    private final TaskRunner runner;
    private final ResultStore results;
    private final WorkerRegistry workers;
    private final DeadLetters deadLetters;
    private final Revocations revocations;
    private final CeleriacConfig config;
    private final Roles roles;
    private volatile long lastDelivery;
    /** Set on shutdown: messages that arrive from then on are held, not run, and go back with the connection. */
    private volatile boolean draining;

    public Worker(TaskMessageCodec codec, TaskRegistry registry, TaskRunner runner, ResultStore results,
            WorkerRegistry workers, DeadLetters deadLetters, Revocations revocations, CeleriacConfig config,
            Roles roles) {
        this.codec = codec;
        this.registry = registry;
        this.runner = runner;
        this.results = results;
        this.workers = workers;
        this.deadLetters = deadLetters;
        this.revocations = revocations;
        this.config = config;
        this.roles = roles;
    }

    /** When the last message reached this worker (epoch ms, 0 if none yet). */
    public long lastDelivery() {
        return lastDelivery;
    }

    @Incoming(CHANNEL)
    @Blocking(value = "celeriac-worker", ordered = false)
    public CompletionStage<Void> receive(Message<?> message) {
        lastDelivery = System.currentTimeMillis();
        if (draining) {
            // Neither run nor settled, and no thread held (a held thread kept the process alive long after its drain):
            // the broker redelivers the message to another worker once this one's connection closes. A nack would
            // requeue it to this still-subscribed consumer at once, over and over.
            return new CompletableFuture<>();
        }
        CompletionStage<Void> stored;
        try {
            stored = handle(message.getPayload());
        } catch (RuntimeException e) {
            pause(1000);
            return putBack(message, e);
        }
        // The ack follows the stored outcome on the event loop; this thread is free for the next task already.
        return stored.handle((done, failure) -> failure == null ? message.ack() : putBackLater(message, failure))
                .thenCompose(next -> next);
    }

    /**
     * Redis or the broker failed us: the message goes back rather than the task being lost (AMQP 0-9-1 requeues; the
     * AMQP 1.0 connector applies its failure strategy). The caller pauses first, so an outage is not a hot loop.
     */
    private static CompletionStage<Void> putBack(Message<?> message, Throwable failure) {
        LOG.errorf("could not process a task message, returning it to the broker: %s", failure.toString());
        return message.nack(failure, Metadata.of(new RabbitMQRejectMetadata(true)));
    }

    /** As {@link #putBack}, from the event loop: the pause holds the message (and its prefetch slot), no thread. */
    private static CompletionStage<Void> putBackLater(Message<?> message, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                : failure;
        return CompletableFuture.runAsync(() -> {
        }, CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)).thenCompose(paused -> putBack(message, cause));
    }

    /** Handles one message; the stage completes once its outcome is stored. */
    private CompletionStage<Void> handle(Object payload) {
        TaskMessage task;
        try {
            task = codec.decode(payload);
        } catch (MalformedMessageException e) {
            LOG.errorf("dead-lettered a malformed task message: %s", e.getMessage());
            deadLetters.add(null, null, "malformed: " + e.getMessage(), raw(payload));
            return DONE;
        }
        Optional<TaskDefinition> definition = registry.find(task.task());
        if (definition.isEmpty()) {
            UnknownTaskException unknown = new UnknownTaskException(task.task());
            LOG.errorf("dead-lettered task message %s: %s", task.id(), unknown.getMessage());
            // The sender may be waiting on this id: say why it will never run.
            results.failed(task.id(), task.task(), unknown);
            deadLetters.add(task.id(), task.task(), unknown.getMessage(), raw(payload));
            return DONE;
        }
        Optional<Instant> expires = task.expiresInstant();
        if (expires.isPresent() && expires.get().isBefore(Instant.now())) {
            LOG.infof("task %s[%s] expired at %s before it could start", task.task(), task.id(), expires.get());
            results.revoked(task.id(), task.task(), "expired at " + expires.get());
            return DONE;
        }
        // One round trip for the checks and the STARTED record: this runs for every message.
        switch (results.begin(task.id(), task.task(), !task.ignoreResult(), runner.workerInfo(),
                Revocations.key(task.id()))) {
            case REVOKED -> {
                LOG.infof("task %s[%s] is revoked: not running it", task.task(), task.id());
                results.revoked(task.id(), task.task(), "revoked");
                return DONE;
            }
            case SUCCEEDED -> {
                LOG.infof("task %s[%s] already succeeded: not running it again", task.task(), task.id());
                return DONE;
            }
            case RUN -> {
                // on below
            }
        }
        // Active until its outcome is stored: a draining worker waits for that, not only for the task's return.
        workers.started(task.id(), task.task());
        CompletionStage<Void> stored;
        try {
            stored = runner.run(definition.get(), task);
        } catch (RuntimeException e) {
            workers.finished(task.id());
            throw e;
        }
        return stored.whenComplete((done, failure) -> workers.finished(task.id()));
    }

    /** Interrupts running tasks that were revoked since they started. */
    @Scheduled(every = "${celeriac.worker.revoke-poll-interval}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void cancelRevoked() {
        if (!roles.has(Role.WORKER) || runner.runningIds().isEmpty()) {
            return;
        }
        try {
            for (String id : revocations.revoked(List.copyOf(runner.runningIds()))) {
                if (runner.interrupt(id)) {
                    LOG.infof("interrupted revoked task %s", id);
                }
            }
        } catch (RuntimeException e) {
            LOG.debugf("could not check revocations: %s", e.getMessage());
        }
    }

    /**
     * On SIGTERM: stop running new messages, give running tasks {@code celeriac.worker.shutdown-grace} to finish
     * (their acks still go out), and leave the rest to the broker, which redelivers what was prefetched but not acked
     * once the connection closes.
     */
    void drain(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        if (!roles.has(Role.WORKER)) {
            return;
        }
        draining = true;
        long deadline = System.currentTimeMillis() + config.worker().shutdownGrace().toMillis();
        while (workers.activeCount() > 0 && System.currentTimeMillis() < deadline) {
            pause(100);
        }
        if (workers.activeCount() > 0) {
            LOG.warnf("shutting down with %d task(s) still running; their messages go back to the broker",
                    workers.activeCount());
        } else {
            LOG.info("worker drained: no task running");
        }
    }

    private static String raw(Object payload) {
        if (payload instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (payload instanceof io.vertx.core.buffer.Buffer buffer) {
            return buffer.toString(StandardCharsets.UTF_8);
        }
        if (payload instanceof io.vertx.mutiny.core.buffer.Buffer buffer) {
            return buffer.toString(StandardCharsets.UTF_8.name());
        }
        if (payload instanceof JsonObject json) {
            return json.encode();
        }
        if (payload instanceof JsonArray json) {
            return json.encode();
        }
        return String.valueOf(payload);
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
