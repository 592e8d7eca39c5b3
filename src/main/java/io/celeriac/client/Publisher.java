package io.celeriac.client;

import java.util.Map;
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

import com.rabbitmq.client.AMQP;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.smallrye.reactive.messaging.amqp.OutgoingAmqpMetadata;

/**
 * Puts task messages on the broker: persistent, JSON, and confirmed by the broker within
 * {@code celeriac.task-publish-timeout}, or a {@link TaskSendException}. Never waits unbounded: a broker that is down
 * or a sender that cannot attach would otherwise hang the caller. Over AMQP 0-9-1 the {@link RabbitSender} carries
 * them; over AMQP 1.0, the SmallRye AMQP connector's emitter.
 */
@ApplicationScoped
public class Publisher {

    public static final String CHANNEL = "celeriac-send";

    private final TaskMessageCodec codec;
    private final CeleriacConfig config;
    private final Emitter<byte[]> emitter;
    private final RabbitSender rabbit;
    private final boolean amqp091;

    @Inject
    public Publisher(TaskMessageCodec codec, CeleriacConfig config, @Channel(CHANNEL) Emitter<byte[]> emitter,
            RabbitSender rabbit) {
        this.codec = codec;
        this.config = config;
        this.emitter = emitter;
        this.rabbit = rabbit;
        this.amqp091 = "smallrye-rabbitmq".equals(config.connector());
    }

    public void publish(TaskMessage task) {
        long timeout = config.taskPublishTimeout().toMillis();
        String what = "task '" + task.task() + "' [" + task.id() + "] not sent: ";
        try {
            CompletableFuture<Void> confirmed = amqp091 ? sendAmqp091(task) : sendAmqp10(task);
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

    private CompletableFuture<Void> sendAmqp091(TaskMessage task) {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType("application/json")
                .contentEncoding("utf-8")
                .deliveryMode(2)
                .messageId(task.id())
                .headers(Map.of("id", task.id(), "task", task.task()))
                .build();
        // Celery's defaults: a direct exchange named like the queue, the queue's name as routing key.
        String queue = config.broker().queue();
        return rabbit.send(queue, queue, task.id(), properties, codec.encode(task));
    }

    private CompletableFuture<Void> sendAmqp10(TaskMessage task) {
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        Metadata metadata = Metadata.of(OutgoingAmqpMetadata.builder()
                .withContentType("application/json")
                .withDurable(true)
                .withMessageId(task.id())
                .withApplicationProperties(new io.vertx.core.json.JsonObject().put("task", task.task()))
                .build());
        emitter.send(Message.of(codec.encode(task), metadata, () -> {
            confirmed.complete(null);
            return CompletableFuture.completedFuture(null);
        }, reason -> {
            confirmed.completeExceptionally(reason);
            return CompletableFuture.completedFuture(null);
        }));
        return confirmed;
    }
}
