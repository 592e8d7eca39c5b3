package io.celeriac.testing;

import java.nio.charset.StandardCharsets;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

/**
 * Task messages put on the broker the way another producer would (no Celeriac client, no PENDING record), confirmed
 * before this returns: what tests use to hand the worker redeliveries, forged or malformed messages.
 */
public final class RawMessages {

    private RawMessages() {
    }

    public static void publish(int brokerPort, String... bodies) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(brokerPort);
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            AMQP.BasicProperties json = new AMQP.BasicProperties.Builder().contentType("application/json")
                    .deliveryMode(2).build();
            for (String body : bodies) {
                channel.basicPublish("celery", "celery", json, body.getBytes(StandardCharsets.UTF_8));
            }
            channel.waitForConfirmsOrDie(5000);
        }
    }
}
