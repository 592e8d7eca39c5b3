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
        this.factory = factory;
        this.batch = batch;
    }

    /** Publishes a call written flat (see {@link RawMessages}) as Celery's protocol v2. */
    void publish(String routingKey, String call) throws InterruptedException {
        AMQP.BasicProperties properties = RawMessages.properties(call);
        byte[] body = RawMessages.body(call);
        for (int attempt = 0;; attempt++) {
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
