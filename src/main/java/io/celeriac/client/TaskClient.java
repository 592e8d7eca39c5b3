package io.celeriac.client;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.config.Node;
import io.celeriac.message.Arguments;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.result.ResultStore;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TaskRegistry;
import io.smallrye.reactive.messaging.amqp.OutgoingAmqpMetadata;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;

/**
 * Sends tasks to the workers, like Celery's {@code delay} and {@code apply_async}. A call returns the task id only
 * once the broker has confirmed the message, and fails within {@code celeriac.task-publish-timeout} otherwise.
 */
@ApplicationScoped
public class TaskClient {

    public static final String CHANNEL = "celeriac-send";
    private static final Logger LOG = Logger.getLogger(TaskClient.class);

    private final TaskRegistry registry;
    private final Arguments arguments;
    private final TaskMessageCodec codec;
    private final ResultStore results;
    private final CeleriacConfig config;
    private final Emitter<byte[]> emitter;
    private final String origin = Node.id();

    @Inject
    public TaskClient(TaskRegistry registry, Arguments arguments, TaskMessageCodec codec, ResultStore results,
            CeleriacConfig config, @Channel(CHANNEL) Emitter<byte[]> emitter) {
        this.registry = registry;
        this.arguments = arguments;
        this.codec = codec;
        this.results = results;
        this.config = config;
        this.emitter = emitter;
    }

    /** Sends a task with positional arguments; returns its id. */
    public String delay(String task, Object... args) {
        return send(task, Arrays.asList(args), Map.of());
    }

    /** Sends a task with positional and named arguments (bound to parameter names); returns its id. */
    public String send(String task, List<?> args, Map<String, ?> kwargs) {
        return send(task, args, kwargs, UUID.randomUUID().toString());
    }

    /** Sends a task under an id of the caller's choosing (Celery's {@code apply_async(task_id=...)}). */
    public String send(String task, List<?> args, Map<String, ?> kwargs, String id) {
        TaskDefinition definition = registry.get(task);
        TaskMessage message = new TaskMessage(id, task, arguments.encode(task, args), arguments.encode(task, kwargs),
                0, null, null, id, null, definition.ignoreResult(), origin);
        byte[] body = codec.encode(message);
        try {
            // Recorded before publishing: a fast worker's STARTED must not be overwritten by a late PENDING.
            results.sent(id, task, definition.ignoreResult());
        } catch (RuntimeException e) {
            throw new TaskSendException("task '" + task + "' not sent: the result store is unavailable", e);
        }
        try {
            publish(id, task, body);
        } catch (TaskSendException e) {
            forgetQuietly(id);
            throw e;
        }
        return id;
    }

    private void publish(String id, String task, byte[] body) {
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        Metadata metadata = Metadata.of(
                OutgoingRabbitMQMetadata.builder()
                        .withContentType("application/json")
                        .withContentEncoding("utf-8")
                        .withDeliveryMode(2)
                        .withMessageId(id)
                        .withHeader("id", id)
                        .withHeader("task", task)
                        .build(),
                OutgoingAmqpMetadata.builder()
                        .withContentType("application/json")
                        .withDurable(true)
                        .withMessageId(id)
                        .withApplicationProperties(new io.vertx.core.json.JsonObject().put("task", task))
                        .build());
        Message<byte[]> message = Message.of(body, metadata, () -> {
            confirmed.complete(null);
            return CompletableFuture.completedFuture(null);
        }, reason -> {
            confirmed.completeExceptionally(reason);
            return CompletableFuture.completedFuture(null);
        });
        long timeout = config.taskPublishTimeout().toMillis();
        try {
            emitter.send(message);
            confirmed.get(timeout, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new TaskSendException("task '" + task + "' not sent: the broker did not confirm it within "
                    + timeout + " ms", e);
        } catch (ExecutionException e) {
            throw new TaskSendException("task '" + task + "' not sent: the broker refused it: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskSendException("task '" + task + "' not sent: interrupted", e);
        } catch (RuntimeException e) {
            // The emitter refuses at once when its buffer is full or the channel has failed.
            throw new TaskSendException("task '" + task + "' not sent: " + e.getMessage(), e);
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
