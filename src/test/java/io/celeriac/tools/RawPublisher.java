package io.celeriac.tools;

import java.nio.charset.StandardCharsets;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

/**
 * Publishes persistent JSON messages with publisher confirms, as a Celery client in another language would; through
 * a broker outage it reconnects and publishes the same message again until confirmed.
 */
final class RawPublisher implements AutoCloseable {

    private static final AMQP.BasicProperties JSON = new AMQP.BasicProperties.Builder()
            .contentType("application/json").deliveryMode(2).build();

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
        this.factory = factory;
        this.batch = batch;
    }

    void publish(String routingKey, String body) throws InterruptedException {
        for (int attempt = 0;; attempt++) {
            try {
                if (channel == null || !channel.isOpen()) {
                    close();
                    connection = factory.newConnection();
                    channel = connection.createChannel();
                    channel.confirmSelect();
                }
                channel.basicPublish(routingKey.equals("celery") ? "celery" : "", routingKey, JSON,
                        body.getBytes(StandardCharsets.UTF_8));
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
