package io.celeriac.tools;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.testing.RawMessages;

/**
 * Publishes persistent JSON messages with publisher confirms, as a Celery client in another language would; through
 * a broker outage it reconnects and publishes the same message again until confirmed.
 */
final class RawPublisher implements AutoCloseable {

    private final ConnectionFactory factory;
    private Connection connection;
    private Channel channel;
    private int unconfirmed;
    private final int batch;

    RawPublisher(ConnectionFactory factory) {
        this(factory, 1);
    }

    /** Confirms are awaited every {@code batch} messages (1: each message on its own). */
    RawPublisher(ConnectionFactory factory, int batch) {
        this(factory, batch, false);
    }

    /**
     * Over AMQP 1.0 ({@code amqp10}) when the worker consumes that way: RabbitMQ 3.10's AMQP 1.0 plugin hands a 1.0
     * consumer none of the headers of a message published over 0-9-1, so such a client could not reach it.
     */
    RawPublisher(ConnectionFactory factory, int batch, boolean amqp10) {
        this.factory = factory;
        this.batch = batch;
        this.amqp10 = amqp10;
    }

    private final boolean amqp10;
    private io.vertx.core.Vertx vertx;
    private io.vertx.amqp.AmqpConnection amqpConnection;
    private final java.util.Map<String, io.vertx.amqp.AmqpSender> senders = new java.util.HashMap<>();

    private void publishAmqp10(String queue, AMQP.BasicProperties properties, byte[] body) throws Exception {
        if (amqpConnection == null) {
            if (vertx == null) {
                vertx = io.vertx.core.Vertx.vertx();
            }
            amqpConnection = io.vertx.amqp.AmqpClient.create(vertx, new io.vertx.amqp.AmqpClientOptions()
                    .setHost(factory.getHost()).setPort(factory.getPort()).setUsername("guest").setPassword("guest"))
                    .connect().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        io.vertx.amqp.AmqpSender sender = senders.get(queue);
        if (sender == null) {
            sender = amqpConnection.createSender("/amq/queue/" + queue).toCompletionStage().toCompletableFuture()
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            senders.put(queue, sender);
        }
        sender.sendWithAck(RawMessages.amqp10(properties, body)).toCompletionStage().toCompletableFuture()
                .get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    private void dropAmqp10() {
        senders.clear();
        if (amqpConnection != null) {
            amqpConnection.close();
            amqpConnection = null;
        }
    }

    /** Publishes a call written flat (see {@link RawMessages}) as Celery's protocol v2. */
    void publish(String routingKey, String call) throws InterruptedException {
        AMQP.BasicProperties properties = RawMessages.properties(call);
        byte[] body = RawMessages.body(call);
        for (int attempt = 0;; attempt++) {
            if (amqp10) {
                try {
                    publishAmqp10(routingKey, properties, body);
                    return;
                } catch (Exception e) {
                    dropAmqp10();
                    if (attempt % 10 == 0) {
                        System.out.println("[publish] failed over AMQP 1.0 (" + e.getClass().getSimpleName()
                                + "), retrying");
                    }
                    Thread.sleep(500);
                    continue;
                }
            }
            try {
                if (channel == null || !channel.isOpen()) {
                    close();
                    connection = factory.newConnection();
                    channel = connection.createChannel();
                    channel.confirmSelect();
                }
                channel.basicPublish("", routingKey, properties, body);
                if (++unconfirmed >= batch) {
                    channel.waitForConfirmsOrDie(30_000);
                    unconfirmed = 0;
                }
                return;
            } catch (Exception e) {
                channel = null;
                if (attempt % 10 == 0) {
                    System.out.println("[publish] failed (" + e.getClass().getSimpleName() + "), retrying");
                }
                Thread.sleep(500);
            }
        }
    }

    void flush() throws Exception {
        if (channel != null && unconfirmed > 0) {
            channel.waitForConfirmsOrDie(30_000);
            unconfirmed = 0;
        }
    }

    @Override
    public void close() {
        dropAmqp10();
        if (vertx != null) {
            vertx.close();
            vertx = null;
        }
        try {
            if (channel != null && channel.isOpen()) {
                flush();
            }
        } catch (Exception ignored) {
            // closing anyway
        }
        try {
            if (connection != null) {
                connection.abort();
            }
        } catch (RuntimeException ignored) {
            // closing anyway
        }
        connection = null;
        channel = null;
    }
}
