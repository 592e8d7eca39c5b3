package io.celeriac.worker;

import java.util.Map;
import java.util.concurrent.CompletionStage;

import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;

import io.smallrye.reactive.messaging.amqp.IncomingAmqpMetadata;
import io.smallrye.reactive.messaging.rabbitmq.IncomingRabbitMQMetadata;
import io.smallrye.reactive.messaging.rabbitmq.RabbitMQRejectMetadata;

/**
 * What the worker needs from a delivery that each connector says its own way: whether it is a redelivery, and its
 * headers, and how to hand a message back to the queue, which the worker does only for one that failed many tries
 * before it could run (see Worker). Over AMQP 1.0 the put-back is the channel's {@code release} failure strategy
 * (see ChannelDefaults), which RabbitMQ requeues; its {@code reject} would dead-letter the message.
 */
final class Delivery {

    private Delivery() {
    }

    static boolean redelivered(Message<?> message) {
        var own = message.getMetadata(QueueDelivery.class);
        if (own.isPresent()) {
            return own.get().redelivered();
        }
        var rabbit = message.getMetadata(IncomingRabbitMQMetadata.class);
        if (rabbit.isPresent()) {
            return rabbit.get().isRedeliver();
        }
        var amqp = message.getMetadata(IncomingAmqpMetadata.class);
        if (amqp.isPresent()) {
            return amqp.get().getDeliveryCount() > 0 || !amqp.get().isFirstAcquirer();
        }
        return false;
    }

    /** The priority the message was sent with, if any. */
    static Integer priority(Message<?> message) {
        var own = message.getMetadata(QueueDelivery.class);
        if (own.isPresent()) {
            return own.get().properties().getPriority();
        }
        var rabbit = message.getMetadata(IncomingRabbitMQMetadata.class);
        if (rabbit.isPresent()) {
            return rabbit.get().getPriority().orElse(null);
        }
        var amqp = message.getMetadata(IncomingAmqpMetadata.class);
        return amqp.map(m -> (int) m.getPriority()).orElse(null);
    }

    /** The queue it came from: the channel's own queue unless it is one {@link QueueConsumers} consumes. */
    static String queue(Message<?> message, String channelQueue) {
        return message.getMetadata(QueueDelivery.class).map(QueueDelivery::queue).orElse(channelQueue);
    }

    /** The message's headers (AMQP 1.0: its application properties); null when it has none. */
    static Map<String, ?> headers(Message<?> message) {
        var own = message.getMetadata(QueueDelivery.class);
        if (own.isPresent()) {
            return own.get().properties().getHeaders();
        }
        var rabbit = message.getMetadata(IncomingRabbitMQMetadata.class);
        if (rabbit.isPresent()) {
            return rabbit.get().getHeaders();
        }
        var amqp = message.getMetadata(IncomingAmqpMetadata.class);
        if (amqp.isPresent() && amqp.get().getProperties() != null) {
            return amqp.get().getProperties().getMap();
        }
        return null;
    }

    /** Back to the queue, for this or another worker. */
    static CompletionStage<Void> putBack(Message<?> message, Throwable reason) {
        return message.nack(reason, Metadata.of(new RabbitMQRejectMetadata(true)));
    }
}
