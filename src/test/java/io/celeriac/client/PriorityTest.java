package io.celeriac.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** With celeriac.task-queue-max-priority, queues order their tasks by priority, as Celery's do. */
@QuarkusTest
@TestProfile(PriorityProfile.class)
class PriorityTest {

    @Inject
    TaskClient tasks;

    @ConfigProperty(name = "celeriac.broker.port")
    int brokerPort;

    @Test
    void aQueueDeclaredWithAMaxPriorityHandsOutTheHighestPriorityFirst() throws Exception {
        List<String> sent = new ArrayList<>();
        for (int priority : new int[] { 1, 9, 5 }) {
            sent.add(tasks.send("routed_report", List.of(priority), Map.of(),
                    SendOptions.none().queue("by-priority").priority(priority)).id());
        }
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(brokerPort);
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            List<String> taken = new ArrayList<>();
            GetResponse got;
            while ((got = channel.basicGet("by-priority", true)) != null) {
                taken.add(got.getProps().getHeaders().get("id").toString());
            }
            assertEquals(List.of(sent.get(1), sent.get(2), sent.get(0)), taken, "9, then 5, then 1");
        }
    }
}
