package io.celeriac.worker;

import java.io.IOException;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.config.CeleriacConfig;

/**
 * How many tasks wait in the queue, asked of RabbitMQ over AMQP 0-9-1 (a passive declare), whichever connector
 * carries the tasks. One small connection, opened on first use and reopened after a failure.
 */
@Singleton
public class QueueDepth {

    private final CeleriacConfig config;
    private Connection connection;

    public QueueDepth(CeleriacConfig config) {
        this.config = config;
    }

    /** Messages ready for delivery (not counting those delivered and not yet acknowledged). */
    public synchronized long ready() throws IOException {
        try {
            Connection c = connection();
            try (Channel channel = c.createChannel()) {
                return channel.queueDeclarePassive(config.broker().queue()).getMessageCount();
            }
        } catch (IOException | TimeoutException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    private Connection connection() throws IOException, TimeoutException {
        if (connection == null || !connection.isOpen()) {
            ConnectionFactory factory = new ConnectionFactory();
            factory.setHost(config.broker().host());
            factory.setPort(config.broker().port());
            factory.setUsername(config.broker().username());
            factory.setPassword(config.broker().password());
            factory.setConnectionTimeout(2000);
            factory.setHandshakeTimeout(2000);
            factory.setAutomaticRecoveryEnabled(false);
            connection = factory.newConnection("celeriac-queue-depth");
        }
        return connection;
    }

    @PreDestroy
    synchronized void close() {
        if (connection != null) {
            try {
                connection.abort(1000);
            } finally {
                connection = null;
            }
        }
    }
}
