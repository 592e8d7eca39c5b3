package io.celeriac.worker;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * The consumer's queue, and its failure strategy, which each connector names its own way, for the one thing the
 * worker nacks for:
 * handing a message back to the queue. Over AMQP 1.0 that is {@code release} (RabbitMQ requeues a released
 * message; its {@code reject} would dead-letter it, draining the work queue during a Redis outage). Over AMQP 0-9-1
 * it is {@code requeue}: the worker's own nack says so anyway, and a message the connector could not hand to the
 * worker at all (its thread pool refused it while the app stopped) goes back to the queue rather than to
 * {@code celery.dead}.
 */
public class ChannelDefaults implements ConfigSourceFactory {

    static final String FAILURE_STRATEGY = "mp.messaging.incoming." + Worker.CHANNEL + ".failure-strategy";
    /** Below application.properties (250): a user's own choice wins. */
    static final int ORDINAL = 200;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue connector = context.getValue("celeriac.connector");
        String strategy = connector != null && "smallrye-amqp".equals(connector.getValue()) ? "release" : "requeue";
        Map<String, String> defaults = new HashMap<>(Map.of(FAILURE_STRATEGY, strategy));
        // The channel consumes the first of the worker's queues, declared as Celery declares it (a direct exchange
        // named like the queue, the queue's name as routing key); a channel has one queue, and QueueConsumers takes
        // the others.
        String queue = firstQueue(context);
        String incoming = "mp.messaging.incoming." + Worker.CHANNEL + ".";
        defaults.put(incoming + "queue.name", queue);
        defaults.put(incoming + "exchange.name", queue);
        defaults.put(incoming + "routing-keys", queue);
        defaults.put(incoming + "address", "/amq/queue/" + queue);
        // The prefetch: what the broker may hand this consumer ahead of what it runs.
        defaults.put(incoming + "max-outstanding-messages", String.valueOf(prefetch(context)));
        // The consumer declares its queue too: with the same arguments as every other declaration of it.
        ConfigValue maxPriority = context.getValue("celeriac.task-queue-max-priority");
        if (maxPriority != null && maxPriority.getValue() != null && !maxPriority.getValue().isBlank()) {
            defaults.put("mp.messaging.incoming." + Worker.CHANNEL + ".queue.x-max-priority", maxPriority.getValue());
        }
        ConfigValue type = context.getValue("celeriac.broker.queue-type");
        if (type != null && type.getValue() != null && "quorum".equalsIgnoreCase(type.getValue().trim())) {
            defaults.put(incoming + "queue.x-queue-type", "quorum");
        }
        return List.of(new PropertiesConfigSource(defaults, "celeriac-channel-defaults", ORDINAL));
    }

    /**
     * The 0-9-1 prefetch: {@code celeriac.worker.concurrency × celeriac.worker.prefetch-multiplier} (defaults 8 and 1;
     * the Worker refuses a multiplier below 1). Read from the sources this factory sees (system properties, the
     * environment, application.properties with its profiles); a value set only in another factory's source is not
     * seen here, and a user's own max-outstanding-messages wins over this one.
     */
    static int prefetch(ConfigSourceContext context) {
        return positive(context, "celeriac.worker.concurrency", 8) * positive(context,
                "celeriac.worker.prefetch-multiplier", 1);
    }

    private static int positive(ConfigSourceContext context, String key, int otherwise) {
        ConfigValue value = context.getValue(key);
        try {
            int n = value == null || value.getValue() == null ? otherwise : Integer.parseInt(value.getValue().trim());
            return n > 0 ? n : otherwise;
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static String firstQueue(ConfigSourceContext context) {
        for (String key : List.of("celeriac.worker.queues", "celeriac.broker.queue")) {
            ConfigValue value = context.getValue(key);
            if (value != null && value.getValue() != null && !value.getValue().isBlank()) {
                return value.getValue().split(",")[0].trim();
            }
        }
        return "celery";
    }
}
