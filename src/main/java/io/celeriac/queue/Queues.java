package io.celeriac.queue;

import java.io.File;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.rabbitmq.client.Address;
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
    private final Set<String> ensured = ConcurrentHashMap.newKeySet();

    public Queues(CeleriacConfig config) {
        this.config = config;
        if (config.broker().queueType() == CeleriacConfig.Broker.QueueType.QUORUM
                && config.taskQueueMaxPriority().isPresent()) {
            throw new IllegalStateException("celeriac.task-queue-max-priority is set, but quorum queues "
                    + "(celeriac.broker.queue-type=quorum) have no priorities on RabbitMQ 3.x; use classic queues, or "
                    + "a queue per priority");
        }
        if (config.broker().addresses().isPresent() && !"smallrye-rabbitmq".equals(config.connector())) {
            throw new IllegalStateException("celeriac.broker.addresses is for AMQP 0-9-1 (smallrye-rabbitmq): the "
                    + "AMQP 1.0 connector connects to one host, so put a load balancer in front of the nodes and set "
                    + "celeriac.broker.host");
        }
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
        declareCeleryQueue(config.broker().queue());
        for (String queue : config.worker().queues()) {
            declareCeleryQueue(queue);
        }
        run(channel -> channel.queueDeclare(deadQueue(), true, false, false, typeArguments(config)));
    }

    /**
     * Makes sure a queue tasks are routed to exists, declared as Celery declares it, so a task sent before any worker
     * of that queue started waits for one (the default exchange would otherwise drop it, or return it as unroutable).
     * Declared once per queue and process.
     */
    public void ensure(String queue) throws IOException {
        if (!ensured.contains(queue)) {
            synchronized (this) {
                declareCeleryQueue(queue);
            }
        }
    }

    /**
     * Celery's declaration, flag for flag (kombu's defaults: a durable direct exchange named like the queue, a durable
     * queue bound to it by its name), so a Python client or worker declaring it too, before or after, meets no
     * {@code 406 PRECONDITION_FAILED}. {@code x-max-priority} only when configured, as Celery's
     * {@code task_queue_max_priority}; then every side must say the same.
     */
    private void declareCeleryQueue(String queue) throws IOException {
        run(channel -> {
            channel.exchangeDeclare(queue, "direct", true, false, Map.of());
            channel.queueDeclare(queue, true, false, false, queueArguments(config));
            channel.queueBind(queue, queue, queue);
            return null;
        });
        ensured.add(queue);
    }

    /**
     * The arguments of every task queue: Celery's {@code x-max-priority} when configured, and {@code x-queue-type}
     * for a quorum queue (as Celery 5.5 declares it with {@code task_default_queue_type = "quorum"}). A classic queue
     * gets no type argument, as Celery declares it, so both sides keep declaring it the same.
     */
    public static Map<String, Object> queueArguments(CeleriacConfig config) {
        Map<String, Object> arguments = new java.util.HashMap<>(typeArguments(config));
        config.taskQueueMaxPriority().ifPresent(max -> arguments.put("x-max-priority", max));
        return Map.copyOf(arguments);
    }

    private static Map<String, Object> typeArguments(CeleriacConfig config) {
        return config.broker().queueType() == CeleriacConfig.Broker.QueueType.QUORUM
                ? Map.of("x-queue-type", "quorum")
                : Map.of();
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
            connection = connect(config.broker(), 2000, "celeriac-queues");
        }
        return connection;
    }

    /**
     * A connection to the broker, or to one of {@code celeriac.broker.addresses} that answers (the client tries them
     * in random order, so connections spread over the cluster's nodes), giving up after {@code timeoutMillis} each.
     */
    public static Connection connect(CeleriacConfig.Broker broker, int timeoutMillis, String name)
            throws IOException, TimeoutException {
        ConnectionFactory factory = connectionFactory(broker, timeoutMillis);
        if (broker.addresses().isEmpty()) {
            return factory.newConnection(name);
        }
        return factory.newConnection(Address.parseAddresses(String.join(",", broker.addresses().get())), name);
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
        if (broker.tls()) {
            factory.useSslProtocol(tls(broker));
            factory.enableHostnameVerification();
        }
        return factory;
    }

    /** Trusting the configured store's authorities, or else the JVM's. */
    private static SSLContext tls(CeleriacConfig.Broker broker) {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (broker.trustStore().isPresent()) {
                char[] password = broker.trustStorePassword().orElse("").toCharArray();
                trust.init(KeyStore.getInstance(new File(broker.trustStore().get()), password));
            } else {
                trust.init((KeyStore) null);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("celeriac.broker.trust-store: cannot read "
                    + broker.trustStore().orElse("the JVM's trust store") + ": " + e.getMessage(), e);
        }
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
