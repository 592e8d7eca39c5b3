package io.celeriac.client;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ReturnListener;
import com.rabbitmq.client.ShutdownListener;
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
 * where it would otherwise be confirmed and dropped. A send that fails before its message left fails with a plain
 * {@link IOException}: nothing was sent. A lost channel or connection fails the sends awaiting a confirm on that
 * channel, and only those, as {@link MaybePublished} (the broker may have kept them), and the next send reconnects.
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
     * confirms, and fails when it refuses, cannot route, or the channel or connection closes first: with a
     * {@link MaybePublished} when the message had left, else with a plain {@link IOException}.
     */
    public CompletableFuture<Void> send(String exchange, String routingKey, String messageId,
            AMQP.BasicProperties properties, byte[] body) {
        Lane lane = lanes[Math.floorMod(next.getAndIncrement(), LANES)];
        return lane.publish(exchange, routingKey, messageId, properties, body);
    }

    private synchronized Connection connection() throws IOException, TimeoutException {
        if (connection == null || !connection.isOpen()) {
            int timeout = (int) Math.min(2000, config.taskPublishTimeout().toMillis());
            Connection opened = Queues.connect(config.broker(), timeout, "celeriac-sender");
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

    /** A channel in confirm mode for a share of the senders, replaced when it closes. */
    private final class Lane {

        private final ReentrantLock lock = new ReentrantLock();
        /** The channel new sends go out on, with its unconfirmed sends; guarded by {@link #lock}. */
        private Confirms current;

        CompletableFuture<Void> publish(String exchange, String routingKey, String messageId,
                AMQP.BasicProperties properties, byte[] body) {
            // Checked here, not by basicPublish: it takes a sequence number before it rejects a null.
            Pending pending = new Pending(Objects.requireNonNull(messageId, "messageId"),
                    Objects.requireNonNull(exchange, "exchange"), Objects.requireNonNull(routingKey, "routingKey"));
            Objects.requireNonNull(body, "body");
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
                Confirms confirms = current();
                // Only this lane publishes on its channel, and only under the lock: seq is this message's number.
                long seq = confirms.channel.getNextPublishSeqNo();
                confirms.unconfirmed.put(seq, pending);
                try {
                    confirms.channel.basicPublish(exchange, routingKey, true, properties, body);
                } catch (IllegalArgumentException e) {
                    // The client could not encode the message (a short string over 255 bytes, headers over the frame
                    // size): it throws before writing a frame, so nothing was sent and the channel is sound. But
                    // basicPublish counted the number before encoding, and the broker numbers only the publishes it
                    // receives: from here on the client's numbers run one ahead of the broker's confirms. So no more
                    // publishes on this channel: the sends already on it are numbered right and settle as usual,
                    // then it closes, and the lane's next send opens a fresh one.
                    confirms.forget(seq, pending);
                    current = null;
                    confirms.retire();
                    pending.completeExceptionally(new IOException("the message cannot be sent: " + e.getMessage(), e));
                } catch (AlreadyClosedException e) {
                    // The channel closed before basicPublish wrote anything (it checks before writing the frames).
                    if (confirms.forget(seq, pending)) {
                        pending.completeExceptionally(new IOException(
                                "the channel to the broker closed: " + e.getMessage(), e));
                    }
                    drop(confirms, "the channel to the broker closed before it confirmed the message: "
                            + e.getMessage());
                } catch (IOException | RuntimeException e) {
                    // The write failed part way, perhaps after the whole message went out: this send and the others
                    // awaiting a confirm on this channel may all be queued.
                    drop(confirms, "the connection to the broker failed while sending: " + e.getMessage());
                }
            } catch (IOException | TimeoutException | RuntimeException e) {
                pending.completeExceptionally(new IOException("the broker is unreachable: " + e.getMessage(), e));
            } finally {
                lock.unlock();
            }
            return pending;
        }

        /** The open channel new sends go out on, opened if there is none. */
        private Confirms current() throws IOException, TimeoutException {
            if (current == null || current.retired || !current.channel.isOpen()) {
                // A closed channel fails its own unconfirmed sends from its shutdown listener; none are added to it.
                current = null;
                Channel opened = connection().createChannel();
                if (opened == null) {
                    throw new IOException("the connection to the broker has no free channel");
                }
                try {
                    opened.confirmSelect();
                } catch (IOException | RuntimeException e) {
                    closeLater(opened);
                    throw e;
                }
                Confirms confirms = new Confirms(opened);
                opened.addConfirmListener(confirms);
                opened.addReturnListener(confirms);
                opened.addShutdownListener(confirms);
                current = confirms;
            }
            return current;
        }

        /** Stops using a failed channel: fails the sends awaiting its confirm as maybe published, and closes it. */
        private void drop(Confirms confirms, String why) {
            if (current == confirms) {
                current = null;
            }
            confirms.failAll(why);
            closeLater(confirms.channel);
        }
    }

    /**
     * Closes a channel off the caller's thread: a close waits for the broker's answer (up to 10 s), which must not
     * hold a lane's lock, nor the connection's reader thread that runs the confirm listeners and reads that answer.
     */
    private static void closeLater(Channel channel) {
        CompletableFuture.runAsync(() -> {
            try {
                channel.abort();
            } catch (IOException | RuntimeException e) {
                LOG.debugf("closing a sender channel: %s", e.getMessage());
            }
        });
    }

    /**
     * One channel's sends awaiting the broker's confirm, by the channel's publish sequence number, and the listener
     * for that channel's confirms, returns and close. Kept per channel, not per lane: the confirms and a close of one
     * channel concern only the messages published on it, never those a lane has since sent on another.
     */
    private static final class Confirms implements ConfirmListener, ReturnListener, ShutdownListener {

        final Channel channel;
        final ConcurrentNavigableMap<Long, Pending> unconfirmed = new ConcurrentSkipListMap<>();
        /** No more publishes on this channel: it closes once the broker has settled those it has. */
        volatile boolean retired;
        private final AtomicBoolean closing = new AtomicBoolean();

        Confirms(Channel channel) {
            this.channel = channel;
        }

        /** Removes a send that has not settled yet; true if it was there, and so the caller now settles it. */
        boolean forget(long seq, Pending pending) {
            return unconfirmed.remove(seq, pending);
        }

        void retire() {
            retired = true;
            closeIfDrained();
        }

        private void closeIfDrained() {
            // Both retire() and settle() check after their own change, so one of them sees the channel drained.
            if (retired && unconfirmed.isEmpty() && closing.compareAndSet(false, true)) {
                closeLater(channel);
            }
        }

        /** The message had left: the broker may have queued it before the channel or connection failed. */
        void failAll(String why) {
            Map.Entry<Long, Pending> entry;
            while ((entry = unconfirmed.pollFirstEntry()) != null) {
                entry.getValue().completeExceptionally(new MaybePublished(why));
            }
        }

        @Override
        public void shutdownCompleted(ShutdownSignalException cause) {
            if (!cause.isInitiatedByApplication()) {
                LOG.warnf("sender channel closed: %s", cause.getMessage());
            }
            failAll("the channel to the broker closed before it confirmed the message: " + cause.getMessage());
        }

        /**
         * The broker sends a message's basic.return before its basic.ack, and its returns in publish order: the
         * earliest send still awaiting a confirm on this channel, not yet returned, with the same id, exchange and
         * routing key is the one returned. The exchange and routing key tell apart two sends of one id where only one
         * was unroutable, whose acks can come out of order.
         */
        @Override
        public void handleReturn(int replyCode, String replyText, String exchange, String routingKey,
                AMQP.BasicProperties properties, byte[] body) {
            String id = properties == null ? null : properties.getMessageId();
            for (Pending pending : unconfirmed.values()) {
                if (pending.returned == null && pending.messageId.equals(id) && pending.exchange.equals(exchange)
                        && pending.routingKey.equals(routingKey)) {
                    pending.returned = replyText + " (no queue bound to exchange '" + exchange
                            + "' with routing key '" + routingKey + "')";
                    return;
                }
            }
            LOG.debugf("a returned message [%s] matches no send awaiting a confirm", id);
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
            for (Map.Entry<Long, Pending> entry : settled.entrySet()) {
                Pending pending = entry.getValue();
                if (!forget(entry.getKey(), pending)) {
                    continue;
                }
                if (!acked) {
                    // RabbitMQ 3.10 nacks every later publish on a channel opened while a quorum queue elected a new
                    // leader (scripts/cluster-chaos saw it for 90 s after a node died): a channel that nacked once is
                    // not trusted again, and the next send opens a fresh one.
                    retired = true;
                    pending.completeExceptionally(new IOException("the broker refused the message (nack)"));
                } else if (pending.returned != null) {
                    pending.completeExceptionally(new IOException("the broker could not route the message: "
                            + pending.returned));
                } else {
                    pending.complete(null);
                }
            }
            closeIfDrained();
        }
    }

    private static final class Pending extends CompletableFuture<Void> {
        final String messageId;
        final String exchange;
        final String routingKey;
        /** Set by a basic.return, which the broker sends before the confirm of the same message. */
        volatile String returned;

        Pending(String messageId, String exchange, String routingKey) {
            this.messageId = messageId;
            this.exchange = exchange;
            this.routingKey = routingKey;
        }
    }
}
