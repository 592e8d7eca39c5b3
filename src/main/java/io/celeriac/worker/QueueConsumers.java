package io.celeriac.worker;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Delivery;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.queue.Queues;
import io.celeriac.role.Role;
import io.celeriac.role.Roles;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * The worker's queues after the first (Celery's {@code -Q a,b}): the connector consumes one queue per channel, and
 * its channels are fixed at build time, so these are consumed with the RabbitMQ Java client and each delivery handed
 * to the {@link Worker} as the connector hands its own: the same checks, the same acks after the outcome is stored,
 * the same put-back. Each queue gets the worker's prefetch and as many threads as its concurrency. Reconnects within
 * seconds after the broker went away, as the connector does.
 */
@Singleton
public class QueueConsumers {

    private static final Logger LOG = Logger.getLogger(QueueConsumers.class);

    private final CeleriacConfig config;
    private final Roles roles;
    private final Worker worker;
    private final List<String> queues;
    private final ExecutorService threads;
    private Connection connection;
    private final java.util.Map<String, Channel> channels = new java.util.HashMap<>();
    private final java.util.Set<String> cancelled = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private boolean closed;
    private boolean warned;

    public QueueConsumers(CeleriacConfig config, Roles roles, Worker worker) {
        this.config = config;
        this.roles = roles;
        this.worker = worker;
        List<String> all = config.worker().queues();
        this.queues = all.subList(1, all.size());
        AtomicInteger count = new AtomicInteger();
        this.threads = queues.isEmpty() ? null
                : Executors.newFixedThreadPool(config.worker().concurrency() * queues.size(), r -> {
                    Thread t = new Thread(r, "celeriac-queue-worker-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    void start(@Observes StartupEvent event) {
        if (!queues.isEmpty() && roles.has(Role.WORKER)) {
            CompletableFuture.runAsync(this::consume);
        }
    }

    @Scheduled(every = "2s", skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void watch() {
        if (!queues.isEmpty() && roles.has(Role.WORKER)) {
            consume();
        }
    }

    /**
     * Opens the connection if need be, and a consumer for each queue that has none: a queue whose channel closed or
     * whose consumer the broker cancelled (the queue was deleted) gets a new one, without disturbing the others'
     * messages in hand.
     */
    private synchronized void consume() {
        if (closed) {
            return;
        }
        try {
            if (connection == null || !connection.isOpen()) {
                abort();
                connection = Queues.connect(config.broker(), 2000, "celeriac-queues-consumer");
            }
            List<String> started = new ArrayList<>();
            for (String queue : queues) {
                Channel current = channels.get(queue);
                if (current != null && current.isOpen() && !cancelled.contains(queue)) {
                    continue;
                }
                if (current != null) {
                    current.abort();
                }
                cancelled.remove(queue);
                Channel channel = connection.createChannel();
                channels.put(queue, channel);
                channel.basicQos(config.worker().concurrency() * config.worker().prefetchMultiplier());
                channel.basicConsume(queue, false, (tag, delivery) -> threads.execute(() -> run(channel, queue,
                        delivery)), tag -> {
                            LOG.warnf("the broker cancelled the consumer of queue %s: consuming it again", queue);
                            cancelled.add(queue);
                        });
                started.add(queue);
            }
            if (!started.isEmpty()) {
                LOG.infof("worker also consumes %s", started);
            }
            warned = false;
        } catch (IOException | java.util.concurrent.TimeoutException | RuntimeException e) {
            if (!warned) {
                warned = true;
                LOG.warnf("cannot consume all of %s yet (broker unreachable, or a queue missing?), retrying every "
                        + "2 s: %s", queues, e.getMessage());
            }
        }
    }

    private void run(Channel channel, String queue, Delivery delivery) {
        long tag = delivery.getEnvelope().getDeliveryTag();
        Message<byte[]> message = Message.of(delivery.getBody(),
                Metadata.of(new QueueDelivery(queue, delivery.getEnvelope().isRedeliver(), delivery.getProperties())),
                () -> settle(channel, tag, true), reason -> settle(channel, tag, false));
        worker.process(message);
    }

    /** An ack, or a put-back (the worker nacks only to hand a message back). */
    private static CompletableFuture<Void> settle(Channel channel, long tag, boolean ack) {
        try {
            synchronized (channel) {
                if (ack) {
                    channel.basicAck(tag, false);
                } else {
                    channel.basicReject(tag, true);
                }
            }
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            // The channel is gone, and with it the delivery: the broker requeues it itself.
            return CompletableFuture.failedFuture(e);
        }
    }

    private void abort() {
        channels.clear();
        if (connection != null) {
            connection.abort(1000);
            connection = null;
        }
    }

    @PreDestroy
    synchronized void close() {
        closed = true;
        abort();
        if (threads != null) {
            threads.shutdownNow();
        }
    }
}
