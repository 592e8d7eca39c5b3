package io.celeriac.testing;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

/**
 * Task messages put on the broker the way another producer would (no Celeriac client, no PENDING record), confirmed
 * before this returns: what tests use to hand the worker redeliveries, forged or malformed messages. A call is written
 * flat for readability ({@code {"id": …, "task": …, "args": […], "retries": 1}}) and sent as Celery's protocol v2
 * puts it: {@code args}, {@code kwargs} and {@code embed} in the body {@code [args, kwargs, embed]}, every other
 * field a header.
 */
public final class RawMessages {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RawMessages() {
    }

    public static void publish(int brokerPort, String... calls) throws Exception {
        if (overAmqp10()) {
            for (String call : calls) {
                publishAmqp10(brokerPort, properties(call), body(call));
            }
            return;
        }
        try (Connection connection = connect(brokerPort); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            for (String call : calls) {
                channel.basicPublish("", "celery", properties(call), body(call));
            }
            channel.waitForConfirmsOrDie(5000);
        }
    }

    /** Publishes exactly these bytes with these properties, for messages that are not protocol v2 at all. */
    public static void publishRaw(int brokerPort, AMQP.BasicProperties properties, byte[]... bodies)
            throws Exception {
        if (overAmqp10()) {
            for (byte[] body : bodies) {
                publishAmqp10(brokerPort, properties, body);
            }
            return;
        }
        try (Connection connection = connect(brokerPort); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            for (byte[] body : bodies) {
                channel.basicPublish("", "celery", properties, body);
            }
            channel.waitForConfirmsOrDie(5000);
        }
    }

    /** A call's headers (every field but args and kwargs), with JSON's types. */
    public static AMQP.BasicProperties properties(String call) {
        ObjectNode flat = parse(call);
        Map<String, Object> headers = new LinkedHashMap<>();
        flat.fields().forEachRemaining(field -> {
            if (!List.of("args", "kwargs", "embed").contains(field.getKey())) {
                headers.put(field.getKey(), JSON.convertValue(field.getValue(), Object.class));
            }
        });
        return new AMQP.BasicProperties.Builder().contentType("application/json").contentEncoding("utf-8")
                .deliveryMode(2).headers(headers).build();
    }

    /** A call's body: {@code [args, kwargs, embed]}. */
    public static byte[] body(String call) {
        ObjectNode flat = parse(call);
        ArrayNode body = JSON.createArrayNode();
        JsonNode args = flat.get("args");
        JsonNode kwargs = flat.get("kwargs");
        body.add(args != null ? args : JSON.createArrayNode());
        body.add(kwargs != null ? kwargs : JSON.createObjectNode());
        body.add(flat.has("embed") ? flat.get("embed") : JSON.nullNode());
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static ObjectNode parse(String call) {
        try {
            return (ObjectNode) JSON.readTree(call);
        } catch (Exception e) {
            throw new IllegalArgumentException("not a flat JSON call: " + call, e);
        }
    }

    /**
     * Whether the app under test consumes over AMQP 1.0: then raw messages go that way too, since RabbitMQ 3.10's
     * AMQP 1.0 plugin hands a 1.0 consumer none of the headers of a message published over 0-9-1.
     */
    private static boolean overAmqp10() {
        return "smallrye-amqp".equals(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getOptionalValue("celeriac.connector", String.class).orElse(""));
    }

    /** As Celeriac's Publisher sends over AMQP 1.0: headers as application properties, the body as data. */
    private static void publishAmqp10(int brokerPort, AMQP.BasicProperties properties, byte[] body)
            throws Exception {
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            var client = io.vertx.amqp.AmqpClient.create(vertx, new io.vertx.amqp.AmqpClientOptions()
                    .setHost("127.0.0.1").setPort(brokerPort).setUsername("guest").setPassword("guest"));
            var connection = client.connect().toCompletionStage().toCompletableFuture()
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            var sender = connection.createSender("/amq/queue/celery").toCompletionStage().toCompletableFuture()
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            sender.sendWithAck(amqp10(properties, body)).toCompletionStage().toCompletableFuture()
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            connection.close();
        } finally {
            vertx.close();
        }
    }

    /** A message as Celeriac's Publisher sends it over AMQP 1.0: headers as application properties, body as data. */
    public static io.vertx.amqp.AmqpMessage amqp10(AMQP.BasicProperties properties, byte[] body) {
        io.vertx.core.json.JsonObject applicationProperties = new io.vertx.core.json.JsonObject();
        if (properties != null && properties.getHeaders() != null) {
            properties.getHeaders().forEach((name, value) -> {
                if (value instanceof java.util.List<?> list) {
                    applicationProperties.put(name, new io.vertx.core.json.JsonArray(list).encode());
                } else if (value != null) {
                    applicationProperties.put(name, value);
                }
            });
        }
        var message = io.vertx.amqp.AmqpMessage.create().durable(true)
                .withBufferAsBody(io.vertx.core.buffer.Buffer.buffer(body));
        if (properties != null && properties.getContentType() != null) {
            message.contentType(properties.getContentType());
        }
        if (!applicationProperties.isEmpty()) {
            message.applicationProperties(applicationProperties);
        }
        return message.build();
    }

    private static Connection connect(int brokerPort) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(brokerPort);
        return factory.newConnection();
    }
}
