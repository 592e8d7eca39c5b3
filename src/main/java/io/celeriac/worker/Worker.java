package io.celeriac.worker;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

import io.celeriac.message.MalformedMessageException;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.result.ResultStore;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TaskRegistry;
import io.celeriac.task.UnknownTaskException;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;

/**
 * Consumes task messages and runs them, at most {@code celeriac.worker.concurrency} at a time. A message is acked
 * only after its task ran and the outcome was stored (Celery's {@code acks_late}); a message that is not a runnable
 * task is rejected and logged, and the worker goes on consuming.
 */
@ApplicationScoped
public class Worker {

    public static final String CHANNEL = "celeriac-receive";
    private static final Logger LOG = Logger.getLogger(Worker.class);

    private final TaskMessageCodec codec;
    private final TaskRegistry registry;
    private final TaskRunner runner;
    private final ResultStore results;
    private final WorkerRegistry workers;
    private volatile long lastDelivery;

    public Worker(TaskMessageCodec codec, TaskRegistry registry, TaskRunner runner, ResultStore results,
            WorkerRegistry workers) {
        this.codec = codec;
        this.registry = registry;
        this.runner = runner;
        this.results = results;
        this.workers = workers;
    }

    /** When the last message reached this worker (epoch ms, 0 if none yet). */
    public long lastDelivery() {
        return lastDelivery;
    }

    @Incoming(CHANNEL)
    @Blocking(value = "celeriac-worker", ordered = false)
    public CompletionStage<Void> receive(Message<?> message) {
        lastDelivery = System.currentTimeMillis();
        TaskMessage task;
        try {
            task = codec.decode(message.getPayload());
        } catch (MalformedMessageException e) {
            LOG.errorf("rejected a malformed task message: %s", e.getMessage());
            return message.nack(e);
        }
        Optional<TaskDefinition> definition = registry.find(task.task());
        if (definition.isEmpty()) {
            UnknownTaskException unknown = new UnknownTaskException(task.task());
            LOG.errorf("rejected task message %s: %s", task.id(), unknown.getMessage());
            try {
                // The sender may be waiting on this id: say why it will never run.
                results.failed(task.id(), task.task(), unknown);
            } catch (RuntimeException e) {
                LOG.warnf("could not record the failure of task %s: %s", task.id(), e);
            }
            return message.nack(unknown);
        }
        workers.started(task.id(), task.task());
        try {
            runner.run(definition.get(), task);
        } catch (RuntimeException e) {
            // The outcome could not be stored: put the message back rather than lose the task (AMQP 0-9-1 requeues;
            // the AMQP 1.0 connector applies its failure strategy).
            LOG.errorf(e, "task %s[%s] ran but its outcome could not be stored; returning it to the broker",
                    task.task(), task.id());
            return message.nack(e, Metadata.of(new RabbitMQRejectMetadata(true)));
        } finally {
            workers.finished(task.id());
        }
        return message.ack();
    }
}
