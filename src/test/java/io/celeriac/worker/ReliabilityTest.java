package io.celeriac.worker;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.client.SendOptions;
import io.celeriac.client.TaskClient;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Retries, delays, expiry, revocation, time limits, dead letters and redelivery, on the real servers. */
@QuarkusTest
class ReliabilityTest {

    @Inject
    TaskClient tasks;

    @Inject
    ReliabilityTasks probe;

    @Inject
    RedisDataSource redis;

    @ConfigProperty(name = "celeriac.broker.port")
    int brokerPort;

    private static String key() {
        return UUID.randomUUID().toString();
    }

    private static JsonPath result(String id) {
        return given().get("/tasks/result/{id}", id).then().statusCode(200).extract().jsonPath();
    }

    private static JsonPath awaitState(String id, String state, Duration within) {
        return await().atMost(within).pollInterval(Duration.ofMillis(50))
                .until(() -> result(id), r -> state.equals(r.getString("state")));
    }

    @Test
    void aTaskThatFailsWithARetryableErrorIsRetriedWithBackoffUntilItSucceeds() {
        String key = key();
        String id = tasks.delay("flaky", key, 2);
        JsonPath retry = awaitState(id, "RETRY", Duration.ofSeconds(10));
        assertEquals(1, retry.getInt("value.retries"));
        assertEquals("IOException", retry.getString("value.exc_type"));
        assertEquals(false, retry.getBoolean("ready"));
        JsonPath done = awaitState(id, "SUCCESS", Duration.ofSeconds(15));
        assertEquals(3, done.getInt("value"), "two failures, then the third attempt");
        assertEquals(3, probe.attempts(key));
    }

    @Test
    void aTaskOutOfRetriesFailsAndIsDeadLetteredThenRequeuedByHand() {
        String key = key();
        String id = tasks.delay("flaky", key, 3);
        JsonPath failed = awaitState(id, "FAILURE", Duration.ofSeconds(15));
        assertEquals("attempt 3 of " + key + " failed", failed.getString("value.exc_message"));
        assertEquals(3, probe.attempts(key), "the first run and two retries");

        String letter = await().atMost(Duration.ofSeconds(5)).until(() -> given().get("/dead-letters").jsonPath()
                .getString("dead_letters.find { it.task_id == '" + id + "' }.id"), l -> l != null);
        given().get("/dead-letters/{id}", letter).then().statusCode(200)
                .body("reason", containsString("out of retries (2)"))
                .body("task", org.hamcrest.Matchers.equalTo("flaky"));

        given().post("/dead-letters/{id}/requeue", letter).then().statusCode(200);
        assertEquals(4, awaitState(id, "SUCCESS", Duration.ofSeconds(10)).getInt("value"));
        given().get("/dead-letters/{id}", letter).then().statusCode(404);
    }

    @Test
    void aTaskCanAskForItsOwnRetry() {
        String id = tasks.delay("asks_retry", key());
        assertEquals(1, awaitState(id, "SUCCESS", Duration.ofSeconds(10)).getInt("value"));
    }

    @Test
    void aCountdownTaskWaitsInRedisNotInAWorkerAndRunsWhenDue() {
        String key = key();
        Instant sent = Instant.now();
        String id = tasks.send("record", List.of(key), Map.of(), SendOptions.none().countdown(Duration.ofSeconds(2)));
        assertTrue(redis.sortedSet(String.class).zscore("celeriac-delayed", id).isPresent(),
                "the delayed task is held in Redis");
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> "PENDING".equals(result(id).getString("state")));
        JsonPath done = awaitState(id, "SUCCESS", Duration.ofSeconds(10));
        assertTrue(!Instant.parse(done.getString("value")).isBefore(sent.plusSeconds(2)), done.prettify());
        assertEquals(1, probe.attempts(key));
        assertTrue(redis.sortedSet(String.class).zscore("celeriac-delayed", id).isEmpty());
    }

    @Test
    void anExpiredTaskDoesNotRunAndEndsRevokedWithTheReason() {
        String key = key();
        String id = tasks.send("record", List.of(key), Map.of(),
                SendOptions.none().countdown(Duration.ofMillis(1500)).expires(Duration.ofMillis(500)));
        JsonPath revoked = awaitState(id, "REVOKED", Duration.ofSeconds(10));
        assertTrue(revoked.getString("value.exc_message").startsWith("expired at"), revoked.prettify());
        assertEquals(true, revoked.getBoolean("ready"));
        assertEquals(0, probe.attempts(key));
    }

    @Test
    void aRevokedTaskNeverStarts() {
        String key = key();
        String id = tasks.send("record", List.of(key), Map.of(), SendOptions.none().countdown(Duration.ofSeconds(1)));
        given().post("/tasks/{id}/revoke", id).then().statusCode(200);
        assertEquals("REVOKED", result(id).getString("state"));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> probe.attempts(key) == 0);
        assertEquals("REVOKED", result(id).getString("state"));
        given().post("/tasks/{id}/revoke", "no-such-task").then().statusCode(404);
    }

    @Test
    void aRunningTaskIsInterruptedWhenRevoked() {
        String key = key();
        String id = tasks.delay("sleeper", key, 20_000);
        awaitState(id, "STARTED", Duration.ofSeconds(5));
        given().post("/tasks/{id}/revoke", id).then().statusCode(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> probe.events().contains(key + ":interrupted:soft=false"));
        assertEquals("REVOKED", result(id).getString("state"));
    }

    @Test
    void theSoftTimeLimitInterruptsTheTaskSoItCanCleanUp() {
        String key = key();
        String id = tasks.send("sleeper", List.of(key, 10_000), Map.of(),
                SendOptions.none().softTimeLimit(Duration.ofMillis(500)));
        JsonPath failed = awaitState(id, "FAILURE", Duration.ofSeconds(5));
        assertEquals("InterruptedException", failed.getString("value.exc_type"));
        assertTrue(probe.events().contains(key + ":interrupted:soft=true"), probe.events().toString());
    }

    @Test
    void theHardTimeLimitEndsTheTaskAsFailureAndFreesItsSlot() {
        long start = System.nanoTime();
        String id = tasks.delay("stubborn", 10_000);
        JsonPath failed = awaitState(id, "FAILURE", Duration.ofSeconds(5));
        assertEquals("TimeLimitExceeded", failed.getString("value.exc_type"));
        assertTrue(failed.getString("value.exc_message").contains("longer than 1000 ms"));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 5_000, "it did not wait for the task's 10 s");
    }

    @Test
    void aRedeliveredTaskThatAlreadySucceededIsNotRunAgain() throws Exception {
        String key = key();
        String id = tasks.delay("record", key);
        awaitState(id, "SUCCESS", Duration.ofSeconds(5));
        String body = "{\"id\": \"" + id + "\", \"task\": \"record\", \"args\": [\"" + key + "\"]}";
        publishRaw(body);
        publishRaw(body);
        String later = tasks.delay("record", key());
        awaitState(later, "SUCCESS", Duration.ofSeconds(5));
        assertEquals(1, probe.attempts(key));
    }

    @Test
    void messagesThatCannotRunAreDeadLetteredWithTheReason() throws Exception {
        String marker = key();
        publishRaw("not json " + marker);
        publishRaw("{\"id\": \"" + marker + "\", \"task\": \"record\", \"args\": [1, 2]}");
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            List<Map<String, String>> letters = given().get("/dead-letters?limit=50").jsonPath()
                    .getList("dead_letters");
            return letters.stream().anyMatch(l -> l.get("body").contains("not json " + marker)
                    && l.get("reason").startsWith("malformed: task message is not valid JSON"))
                    && letters.stream().anyMatch(l -> marker.equals(l.get("task_id"))
                            && l.get("reason").startsWith("arguments do not fit: task 'record' takes 1 argument"));
        });
        given().get("/dead-letters?limit=zero").then().statusCode(400).body("field",
                org.hamcrest.Matchers.equalTo("limit"));
    }

    private void publishRaw(String body) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(brokerPort);
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            channel.confirmSelect();
            channel.basicPublish("celery", "celery", new AMQP.BasicProperties.Builder()
                    .contentType("application/json").deliveryMode(2).build(), body.getBytes(StandardCharsets.UTF_8));
            channel.waitForConfirmsOrDie(5000);
        }
    }
}
