package io.celeriac.queue;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.config.CeleriacConfig;
import io.quarkus.runtime.StartupEvent;

/**
 * The broker's side of Celeriac, spoken over AMQP 0-9-1 whichever connector carries the tasks: declares the durable
 * exchange and queue at start-up (idempotently, with the arguments the definitions file gives them, so neither
 * connector meets an undeclared or mismatched queue), and reports queue depth. One small connection, opened on first
 * use and reopened after a failure.
 */
@Singleton
public class Queues {

    private static final Logger LOG = Logger.getLogger(Queues.class);

    private final CeleriacConfig config;
    private Connection connection;

    public Queues(CeleriacConfig config) {
        this.config = config;
    }

    /** The queue dead-lettered messages land in when the broker rejects them (a safety net; see DeadLetters). */
    public String deadQueue() {
        return config.broker().queue() + ".dead";
    }

    void declareOnStart(@Observes StartupEvent event) {
        try {
            declare();
        } catch (IOException e) {
            // The connectors retry their own connections; the scripts and definitions declare the same topology.
            LOG.warnf("could not declare the task queue at start-up (broker unreachable?): %s", e.getMessage());
        }
    }

    public synchronized void declare() throws IOException {
        String queue = config.broker().queue();
        run(channel -> {
            channel.exchangeDeclare(queue, "direct", true, false, Map.of());
            channel.queueDeclare(queue, true, false, false, Map.of());
            channel.queueBind(queue, queue, queue);
            channel.queueDeclare(deadQueue(), true, false, false, Map.of());
            return null;
        });
    }

    /** Messages ready for delivery in the task queue (not those delivered and not yet acknowledged). */
    public synchronized long ready() throws IOException {
        return run(channel -> (long) channel.queueDeclarePassive(config.broker().queue()).getMessageCount());
    }

    private interface Work<T> {
        T on(Channel channel) throws IOException;
    }

    private <T> T run(Work<T> work) throws IOException {
        try {
            try (Channel channel = connection().createChannel()) {
                return work.on(channel);
            }
        } catch (IOException | TimeoutException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    private Connection connection() throws IOException, TimeoutException {
        if (connection == null || !connection.isOpen()) {
            connection = connectionFactory(config.broker(), 2000).newConnection("celeriac-queues");
        }
        return connection;
    }

    /**
     * Connections to the broker as {@code celeriac.broker.*} says, giving up after {@code timeoutMillis}. Recovery is
     * the caller's: each reopens its connection on next use, so nothing waits on a recovery in progress.
     */
    public static ConnectionFactory connectionFactory(CeleriacConfig.Broker broker, int timeoutMillis) {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(broker.host());
        factory.setPort(broker.port());
        factory.setUsername(broker.username());
        factory.setPassword(broker.password());
        factory.setConnectionTimeout(timeoutMillis);
        factory.setHandshakeTimeout(timeoutMillis);
        // A broker that accepts connections but does not answer must fail an RPC in seconds, not the default 10 min.
        factory.setChannelRpcTimeout(Math.max(timeoutMillis, 5000));
        factory.setAutomaticRecoveryEnabled(false);
        return factory;
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
