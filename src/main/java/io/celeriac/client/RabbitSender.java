package io.celeriac.client;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.queue.Queues;

/**
 * Sends task messages over AMQP 0-9-1 with the RabbitMQ Java client and asynchronous publisher confirms: many
 * senders share a few channels, and each waits only for the broker's confirm of its own message.
 * <p>
 * Why not the SmallRye RabbitMQ connector's emitter (which consumes fine): its Vert.x publisher sends one message at a
 * time, each through a blocking hop, so it tops out near 1,500 messages a second, and under concurrent senders its
 * buffer overflows ({@code SRMSG00034}) or confirms time out (smallrye-reactive-messaging #3064, #1739).
 * <p>
 * Messages are published {@code mandatory}: one the broker cannot route to a queue comes back and fails its send,
 * where it would otherwise be confirmed and dropped. A lost connection fails every send awaiting its confirm (the
 * caller cannot know whether the broker kept it), and the next send reconnects.
 */
@Singleton
public class RabbitSender {

    private static final Logger LOG = Logger.getLogger(RabbitSender.class);
    /** Concurrent senders spread over these; one channel's confirms are in order, so a stalled one stalls only its share. */
    private static final int LANES = 4;

    private final CeleriacConfig config;
    private final Lane[] lanes = new Lane[LANES];
    private final AtomicInteger next = new AtomicInteger();
    private Connection connection;
    /** Why the broker blocks this connection, while it does. */
    private volatile String blocked;

    public RabbitSender(CeleriacConfig config) {
        this.config = config;
        for (int i = 0; i < LANES; i++) {
            lanes[i] = new Lane();
        }
    }

    /**
     * Publishes a persistent message whose properties carry {@code messageId}. The future completes when the broker
     * confirms, and fails when it refuses, cannot route, or the channel or connection closes first.
     */
    public CompletableFuture<Void> send(String exchange, String routingKey, String messageId,
            AMQP.BasicProperties properties, byte[] body) {
        Lane lane = lanes[Math.floorMod(next.getAndIncrement(), LANES)];
        return lane.publish(exchange, routingKey, messageId, properties, body);
    }

    private synchronized Connection connection() throws IOException, TimeoutException {
        if (connection == null || !connection.isOpen()) {
            int timeout = (int) Math.min(2000, config.taskPublishTimeout().toMillis());
            Connection opened = Queues.connectionFactory(config.broker(), timeout).newConnection("celeriac-sender");
            // A resource alarm (memory, disk) stops the broker reading from publishers: fail sends at once meanwhile.
            opened.addBlockedListener(reason -> blocked = reason, () -> blocked = null);
            blocked = null;
            connection = opened;
        }
        return connection;
    }

    @PreDestroy
    synchronized void close() {
        if (connection != null) {
            connection.abort(1000);
            connection = null;
        }
    }

    /** A channel in confirm mode, with the sends it has not heard back about. */
    private final class Lane implements ConfirmListener {

        private final ReentrantLock lock = new ReentrantLock();
        private Channel channel;
        private final ConcurrentNavigableMap<Long, Pending> unconfirmed = new ConcurrentSkipListMap<>();
        private final Map<String, Pending> byId = new ConcurrentHashMap<>();

        CompletableFuture<Void> publish(String exchange, String routingKey, String messageId,
                AMQP.BasicProperties properties, byte[] body) {
            Pending pending = new Pending(Objects.requireNonNull(messageId, "messageId"));
            if (blocked != null) {
                pending.completeExceptionally(new IOException("the broker blocks publishing: " + blocked));
                return pending;
            }
            // A send never waits longer than the publish timeout, not even behind a write the broker stopped reading.
            try {
                if (!lock.tryLock(config.taskPublishTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    pending.completeExceptionally(new IOException("the channel to the broker is busy"));
                    return pending;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pending.completeExceptionally(e);
                return pending;
            }
            try {
                Channel open = channel();
                long seq = open.getNextPublishSeqNo();
                unconfirmed.put(seq, pending);
                byId.put(messageId, pending);
                pending.seq = seq;
                open.basicPublish(exchange, routingKey, true, properties, body);
            } catch (IOException | TimeoutException | RuntimeException e) {
                forget(pending);
                dropChannel();
                pending.completeExceptionally(new IOException("the broker is unreachable: " + e.getMessage(), e));
            } finally {
                lock.unlock();
            }
            return pending;
        }

        private Channel channel() throws IOException, TimeoutException {
            if (channel == null || !channel.isOpen()) {
                Channel opened = connection().createChannel();
                opened.confirmSelect();
                opened.addConfirmListener(this);
                opened.addReturnListener(returned -> {
                    Pending pending = byId.get(returned.getProperties().getMessageId());
                    if (pending != null) {
                        pending.returned = returned.getReplyText() + " (no queue bound to exchange '"
                                + returned.getExchange() + "' with routing key '" + returned.getRoutingKey() + "')";
                    }
                });
                opened.addShutdownListener(this::lost);
                channel = opened;
            }
            return channel;
        }

        private void dropChannel() {
            Channel dropped = channel;
            channel = null;
            if (dropped != null) {
                try {
                    dropped.abort();
                } catch (IOException e) {
                    LOG.debugf("closing a failed sender channel: %s", e.getMessage());
                }
            }
            failAll("the connection to the broker failed");
        }

        private void lost(ShutdownSignalException cause) {
            if (!cause.isInitiatedByApplication()) {
                LOG.warnf("sender channel closed: %s", cause.getMessage());
            }
            failAll("the channel to the broker closed before it confirmed the message: " + cause.getMessage());
        }

        private void failAll(String why) {
            for (Pending pending : unconfirmed.values()) {
                forget(pending);
                pending.completeExceptionally(new IOException(why));
            }
        }

        private void forget(Pending pending) {
            unconfirmed.remove(pending.seq, pending);
            byId.remove(pending.messageId, pending);
        }

        @Override
        public void handleAck(long seq, boolean multiple) {
            settle(seq, multiple, true);
        }

        @Override
        public void handleNack(long seq, boolean multiple) {
            settle(seq, multiple, false);
        }

        private void settle(long seq, boolean multiple, boolean acked) {
            var settled = multiple ? unconfirmed.headMap(seq, true) : unconfirmed.subMap(seq, true, seq, true);
            for (Pending pending : settled.values()) {
                forget(pending);
                if (!acked) {
                    pending.completeExceptionally(new IOException("the broker refused the message (nack)"));
                } else if (pending.returned != null) {
                    pending.completeExceptionally(new IOException("the broker could not route the message: "
                            + pending.returned));
                } else {
                    pending.complete(null);
                }
            }
        }
    }

    private static final class Pending extends CompletableFuture<Void> {
        final String messageId;
        volatile long seq = -1;
        /** Set by a basic.return, which the broker sends before the confirm of the same message. */
        volatile String returned;

        Pending(String messageId) {
            this.messageId = messageId;
        }
    }
}
