package io.celeriac.worker;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;

import io.celeriac.client.TaskClient;
import io.celeriac.testing.Operators;
import io.celeriac.testing.RawMessages;
import io.celeriac.testing.BrokerAndRedis;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

/**
 * A message that keeps coming back (each worker that ran it died, or lost the broker) is dead-lettered once it has
 * been redelivered {@code celeriac.worker.max-redeliveries} times, instead of killing workers for ever. The worker
 * runs one task at a time (so it prefetches one message): while it is busy, the test takes the messages itself and
 * hands them back unacked, as a dying worker's connection does, so the broker marks them redelivered.
 */
@QuarkusTest
@TestProfile(PoisonMessageTest.OneSlot.class)
class PoisonMessageTest {

    public static class OneSlot implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("celeriac.worker.concurrency", "1", "celeriac.worker.max-redeliveries", "2");
        }
    }

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Inject
    TaskClient tasks;

    @Inject
    ReliabilityTasks probe;

    @Inject
    RedisDataSource redis;

    @Test
    void aMessageRedeliveredMoreThanTheCapIsDeadLetteredNotRun() throws Exception {
        String key = UUID.randomUUID().toString();
        String poison = UUID.randomUUID().toString();
        String healthy = UUID.randomUUID().toString();
        String busy = UUID.randomUUID().toString();
        tasks.delay("counted_sleeper", busy, 4_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> probe.attempts(busy) == 1);
        // The poison message has come back twice already (as the counter says), and comes back once more now.
        redis.value(String.class).set("celeriac-deliveries-" + poison, "2");
        redis.value(String.class).set("celeriac-deliveries-" + healthy, "1");
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(Integer.parseInt(servers.get("celeriac.broker.port")));
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            for (String id : List.of(poison, healthy)) {
                String call = "{\"id\": \"" + id + "\", \"task\": \"record\", \"args\": [\"" + key + "\"]}";
                channel.basicPublish("", "celery", RawMessages.properties(call), RawMessages.body(call));
            }
            channel.waitForConfirmsOrDie(5000);
            // Taken and handed back unacked, as a dying worker's messages are: the broker marks them redelivered.
            List<GetResponse> taken = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                GetResponse got = await().atMost(Duration.ofSeconds(5)).until(() -> channel.basicGet("celery", false),
                        r -> r != null);
                assertTrue(!got.getEnvelope().isRedeliver());
                taken.add(got);
            }
            for (GetResponse got : taken) {
                channel.basicReject(got.getEnvelope().getDeliveryTag(), true);
            }
        }

        // The healthy one, redelivered for the second time, is within the cap of 2 and runs.
        JsonPath ran = await().atMost(Duration.ofSeconds(20)).until(() -> result(healthy), r -> r != null
                && r.getBoolean("ready"));
        assertEquals("SUCCESS", ran.getString("state"));
        JsonPath stopped = await().atMost(Duration.ofSeconds(15)).until(() -> result(poison), r -> r != null
                && r.getBoolean("ready"));
        assertEquals("FAILURE", stopped.getString("state"));
        assertEquals("RedeliveryLimitExceeded", stopped.getString("value.exc_type"));
        assertTrue(stopped.getString("value.exc_message[0]").startsWith("delivered 4 times"), stopped.prettify());
        assertEquals(1, probe.attempts(key), "only the healthy message ran");
        await().atMost(Duration.ofSeconds(5)).until(() -> Operators.asViewer().get("/dead-letters").jsonPath()
                .getList("dead_letters.findAll { it.task_id == '" + poison + "' }").size() == 1);
    }

    private static JsonPath result(String id) {
        var response = given().get("/tasks/result/{id}", id);
        return response.statusCode() == 200 ? response.jsonPath() : null;
    }
}
