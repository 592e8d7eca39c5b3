package io.celeriac.client;

import java.io.IOException;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

import com.rabbitmq.client.AMQP;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.MessageSigner;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.queue.Queues;
import io.smallrye.reactive.messaging.amqp.OutgoingAmqpMetadata;

/**
 * Puts task messages on the broker: persistent, JSON, and confirmed by the broker within
 * {@code celeriac.task-publish-timeout}, or a {@link TaskNotSentException} (nothing left) or a
 * {@link TaskSendUncertainException} (the message left; its confirm did not come). Never waits unbounded: a broker that is down
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
    private final Queues queues;
    private final MessageSigner signer;
    private final boolean amqp091;

    @Inject
    public Publisher(TaskMessageCodec codec, CeleriacConfig config, @Channel(CHANNEL) Emitter<byte[]> emitter,
            RabbitSender rabbit, Queues queues, MessageSigner signer) {
        this.codec = codec;
        this.signer = signer;
        this.queues = queues;
        this.config = config;
        this.emitter = emitter;
        this.rabbit = rabbit;
        this.amqp091 = "smallrye-rabbitmq".equals(config.connector());
    }

    public void publish(TaskMessage task) {
        publishAll(List.of(task));
    }

    /**
     * Publishes the messages together and returns once the broker confirmed them all: a chord's thousand members
     * wait for the confirms once, not one after the other. Throws for the first one that was not confirmed.
     */
    public void publishAll(List<TaskMessage> tasks) {
        long deadline = System.nanoTime() + config.taskPublishTimeout().toNanos();
        List<CompletableFuture<Void>> confirms = new ArrayList<>(tasks.size());
        for (TaskMessage task : tasks) {
            try {
                confirms.add(amqp091 ? sendAmqp091(task) : sendAmqp10(task));
            } catch (RuntimeException e) {
                // The emitter refuses at once when its buffer is full or the channel has failed.
                throw new TaskNotSentException(task.id(), what(task) + "not sent: " + e.getMessage(), e);
            }
        }
        for (int i = 0; i < tasks.size(); i++) {
            awaitConfirm(tasks.get(i), confirms.get(i), deadline);
        }
    }

    private static String what(TaskMessage task) {
        return "task '" + task.task() + "' [" + task.id() + "] ";
    }

    private void awaitConfirm(TaskMessage task, CompletableFuture<Void> confirmed, long deadline) {
        String what = what(task);
        long timeout = config.taskPublishTimeout().toMillis();
        try {
            confirmed.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new TaskSendUncertainException(task.id(), what + "may not have been sent: the broker did not "
                    + "confirm it within " + timeout + " ms", e, confirmed);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof MaybePublished) {
                throw new TaskSendUncertainException(task.id(), what + "may not have been sent: "
                        + cause.getMessage(), cause);
            }
            throw new TaskNotSentException(task.id(), what + "not sent: " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskSendUncertainException(task.id(), what + "may not have been sent: interrupted while "
                    + "waiting for the broker's confirm", e);
        }
    }

    /**
     * Fails when this connector cannot put the message on its queue at all: over AMQP 1.0 the sender's link is
     * attached to the default queue. Checked before a delayed task is accepted too, so none is accepted that could
     * never leave.
     */
    public void checkRoutable(TaskMessage task) {
        if (!amqp091 && !queueOf(task).equals(config.broker().queue())) {
            throw new TaskNotRoutableException(task.id(), what(task) + "not sent: over "
                    + "AMQP 1.0 tasks go to the queue '" + config.broker().queue() + "' only, not to '" + queueOf(task)
                    + "'; route them with the smallrye-rabbitmq connector");
        }
    }

    /** The message on the wire, with its signature when {@code celeriac.security.signing-key} is set. */
    private TaskMessageCodec.Wire signed(TaskMessage task) {
        TaskMessageCodec.Wire wire = codec.encode(task);
        if (signer.enabled()) {
            wire.headers().put(MessageSigner.HEADER, signer.sign(task));
        }
        return wire;
    }

    /** The queue a message goes to: its own, else the default one. */
    private String queueOf(TaskMessage task) {
        return task.queue() != null ? task.queue() : config.broker().queue();
    }

    private CompletableFuture<Void> sendAmqp091(TaskMessage task) {
        TaskMessageCodec.Wire wire = signed(task);
        // Celery's properties; no expiration (Celery sets one from expires): the broker would drop an expired task
        // silently, where the worker records it as REVOKED.
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder()
                .contentType("application/json")
                .contentEncoding("utf-8")
                .deliveryMode(2)
                .priority(task.priority() != null ? task.priority() : 0)
                .correlationId(task.id())
                .messageId(task.id())
                .headers(wire.headers())
                .build();
        String queue = queueOf(task);
        try {
            // The default queue is declared at start-up, by the connector and by the definitions file.
            if (!queue.equals(config.broker().queue())) {
                queues.ensure(queue);
            }
        } catch (IOException e) {
            CompletableFuture<Void> failed = new CompletableFuture<>();
            failed.completeExceptionally(e);
            return failed;
        }
        // As Celery publishes: to the default exchange, the queue's name as routing key.
        return rabbit.send("", queue, task.id(), properties, wire.body());
    }

    private CompletableFuture<Void> sendAmqp10(TaskMessage task) {
        // A message handed to the emitter may go out whenever the link comes back, so once handed over a missing
        // confirm is "maybe sent". Hand it over only while the link asks for messages (the broker grants credit):
        // a broker that is down then fails the send as not sent.
        long deadline = System.nanoTime() + config.taskPublishTimeout().toNanos();
        while (!emitter.hasRequests()) {
            if (emitter.isCancelled() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the AMQP 1.0 link to the broker takes no messages (not attached, "
                        + "or no credit) within " + config.taskPublishTimeout().toMillis() + " ms");
            }
            LockSupport.parkNanos(200_000);
        }
        checkRoutable(task);
        TaskMessageCodec.Wire wire = signed(task);
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        OutgoingAmqpMetadata.OutgoingAmqpMetadataBuilder amqp = OutgoingAmqpMetadata.builder()
                .withContentType("application/json")
                .withContentEncoding("utf-8")
                .withDurable(true)
                .withMessageId(task.id())
                .withCorrelationId(task.id())
                .withApplicationProperties(applicationProperties(wire.headers()));
        if (task.priority() != null) {
            amqp.withPriority((short) (int) task.priority());
        }
        emitter.send(Message.of(wire.body(), Metadata.of(amqp.build()), () -> {
            confirmed.complete(null);
            return CompletableFuture.completedFuture(null);
        }, reason -> {
            confirmed.completeExceptionally(reason);
            return CompletableFuture.completedFuture(null);
        }));
        return confirmed;
    }

    /**
     * Celery's headers as AMQP 1.0 application properties, which hold only simple values: nulls are left out and
     * a list ({@code timelimit}) goes as its JSON text, which the codec reads back.
     */
    private static io.vertx.core.json.JsonObject applicationProperties(Map<String, Object> headers) {
        io.vertx.core.json.JsonObject properties = new io.vertx.core.json.JsonObject();
        headers.forEach((name, value) -> {
            if (value instanceof java.util.List<?> list) {
                properties.put(name, new io.vertx.core.json.JsonArray(list).encode());
            } else if (value != null) {
                properties.put(name, value);
            }
        });
        return properties;
    }
}
