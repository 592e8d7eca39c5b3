package io.celeriac.client;

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

import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.smallrye.reactive.messaging.amqp.OutgoingAmqpMetadata;
import io.smallrye.reactive.messaging.rabbitmq.OutgoingRabbitMQMetadata;

/**
 * Puts task messages on the broker: persistent, JSON, and confirmed by the broker within
 * {@code celeriac.task-publish-timeout}, or a {@link TaskSendException}. Never waits unbounded: a broker that is down
 * or a sender that cannot attach would otherwise hang the caller.
 */
@ApplicationScoped
public class Publisher {

    public static final String CHANNEL = "celeriac-send";

    private final TaskMessageCodec codec;
    private final CeleriacConfig config;
    private final Emitter<byte[]> emitter;

    @Inject
    public Publisher(TaskMessageCodec codec, CeleriacConfig config, @Channel(CHANNEL) Emitter<byte[]> emitter) {
        this.codec = codec;
        this.config = config;
        this.emitter = emitter;
    }

    public void publish(TaskMessage task) {
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        Metadata metadata = Metadata.of(
                OutgoingRabbitMQMetadata.builder()
                        .withContentType("application/json")
                        .withContentEncoding("utf-8")
                        .withDeliveryMode(2)
                        .withMessageId(task.id())
                        .withHeader("id", task.id())
                        .withHeader("task", task.task())
                        .build(),
                OutgoingAmqpMetadata.builder()
                        .withContentType("application/json")
                        .withDurable(true)
                        .withMessageId(task.id())
                        .withApplicationProperties(new io.vertx.core.json.JsonObject().put("task", task.task()))
                        .build());
        Message<byte[]> message = Message.of(codec.encode(task), metadata, () -> {
            confirmed.complete(null);
            return CompletableFuture.completedFuture(null);
        }, reason -> {
            confirmed.completeExceptionally(reason);
            return CompletableFuture.completedFuture(null);
        });
        long timeout = config.taskPublishTimeout().toMillis();
        String what = "task '" + task.task() + "' [" + task.id() + "] not sent: ";
        try {
            emitter.send(message);
            confirmed.get(timeout, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new TaskSendException(what + "the broker did not confirm it within " + timeout + " ms", e);
        } catch (ExecutionException e) {
            throw new TaskSendException(what + "the broker refused it: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskSendException(what + "interrupted", e);
        } catch (RuntimeException e) {
            // The emitter refuses at once when its buffer is full or the channel has failed.
            throw new TaskSendException(what + e.getMessage(), e);
        }
    }
}
