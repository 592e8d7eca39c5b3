package io.celeriac.worker;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.client.SendOptions;
import io.celeriac.client.TaskClient;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.RawMessages;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/**
 * Senders fail fast while the broker or Redis is down and recover by themselves; the worker re-attaches and goes on
 * consuming (no silent stall after a reconnect, celery #3201); a task's outcome that cannot be stored waits for Redis
 * instead of the task running again; and nothing waits long on a broker that stops answering. Run over each
 * connector by the subclasses.
 */
abstract class ServerRestartContract {

    /**
     * Whether a send the broker did not confirm may still go out later: over AMQP 1.0 the connector holds a message
     * it was handed until its link is back, so a send to a stopped broker is "maybe sent" there.
     */
    boolean unconfirmedSendsMayStillGoOut() {
        return false;
    }

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Inject
    TaskClient tasks;

    @Inject
    ReliabilityTasks reliability;

    private static Response add(int a, int b) {
        return given().formParams(Map.of("a", a, "b", b)).post("/tasks/add");
    }

    static int sum(String id) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> given().get("/tasks/result/{id}", id).jsonPath(), r -> r.getBoolean("ready"))
                .getInt("value");
    }

    @Test
    void aBrokerRestartFailsSendsFastThenTasksFlowAgain() {
        assertEquals(3, sum(add(1, 2).then().statusCode(200).extract().path("result_id")));
        BrokerAndRedis.rabbitmq(servers, "stop");
        Response down;
        try {
            long start = System.nanoTime();
            down = add(1, 1);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 10_000, "a send to a stopped broker took " + millis + " ms");
            if (unconfirmedSendsMayStillGoOut()) {
                assertTrue(down.statusCode() == 503 || down.statusCode() == 202, down.asString());
            } else {
                assertEquals(503, down.statusCode(), down.asString());
            }
        } finally {
            BrokerAndRedis.rabbitmq(servers, "start");
        }
        if (down.statusCode() == 202) {
            // Handed to the connector, which may still send it or give up on it: either way the id must resolve,
            // never stay PENDING.
            String maybe = down.jsonPath().getString("result_id");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> given().get("/tasks/result/{id}", maybe).jsonPath().getBoolean("ready"));
        }
        String id = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> add(20, 22), r -> r.statusCode() == 200).path("result_id");
        assertEquals(42, sum(id), "the consumer re-attached after the restart");
    }

    @Test
    void aDelayedTaskDueWhileTheBrokerIsDownRunsSoonAfterItIsBack() throws Exception {
        assumeFalse(unconfirmedSendsMayStillGoOut(), "over AMQP 1.0 a send to a stopped broker may be held, "
                + "and a maybe-sent entry keeps its lease");
        String key = UUID.randomUUID().toString();
        String id = tasks.send("record", List.of(key), Map.of(), SendOptions.none().countdown(Duration.ofSeconds(1))).id();
        BrokerAndRedis.rabbitmq(servers, "stop");
        try {
            // Due, and promoted in vain while the broker is away.
            Thread.sleep(3000);
        } finally {
            BrokerAndRedis.rabbitmq(servers, "start");
        }
        // The claim's lease is over two minutes: the entry must be handed back, not wait it out.
        JsonPath done = await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(500))
                .until(() -> given().get("/tasks/result/{id}", id).jsonPath(), r -> r.getBoolean("ready"));
        assertEquals("SUCCESS", done.getString("state"), done.prettify());
        assertEquals(1, reliability.attempts(key));
    }

    @Test
    void aRedisRestartFailsSendsFastThenTasksFlowAgain() {
        assertEquals(5, sum(add(2, 3).then().statusCode(200).extract().path("result_id")));
        BrokerAndRedis.redis(servers, "stop");
        try {
            long start = System.nanoTime();
            Response down = add(1, 1);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(503, down.statusCode(), down.asString());
            assertTrue(millis < 15_000, "a send with Redis down took " + millis + " ms");
        } finally {
            BrokerAndRedis.redis(servers, "start");
        }
        String id = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
                .until(() -> add(30, 12), r -> r.statusCode() == 200).path("result_id");
        assertEquals(42, sum(id));
    }

    @Test
    void aTaskWhoseOutcomeCannotBeStoredWaitsForRedisAndRunsOnlyOnce() throws InterruptedException {
        String key = UUID.randomUUID().toString();
        String id = tasks.delay("counted_sleeper", key, 1500).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> reliability.attempts(key) == 1);
        BrokerAndRedis.redis(servers, "stop");
        try {
            // The run ends while Redis is down: its SUCCESS cannot be written, so its message must not be acked, and
            // the task must not run again: its side effects happened.
            Thread.sleep(3000);
        } finally {
            BrokerAndRedis.redis(servers, "start");
        }
        // Until Redis is up and the write lands, the status answers 503 or 404 (a Redis without its data).
        JsonPath result = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> given().get("/tasks/result/{id}", id).jsonPath(),
                        r -> Boolean.TRUE.equals(r.get("ready")));
        assertTrue(result.getBoolean("successful"), result.prettify());
        assertEquals(1, reliability.attempts(key), "the task ran once; its outcome was written again, not the task");
        assertEquals(1, result.getInt("value"));
    }

    @Test
    void whileRedisRefusesWritesAnIgnoredTaskThatRanIsNotRunAgain() throws Exception {
        String key = UUID.randomUUID().toString();
        // Writes fail with NOREPLICAS, reads still work: as after a bad fail-over, or a Redis out of memory.
        BrokerAndRedis.redisCli(servers, "CONFIG", "SET", "min-replicas-to-write", "1");
        try {
            publishRaw("{\"id\": \"" + UUID.randomUUID() + "\", \"task\": \"counted_ignored\", \"args\": [\""
                    + key + "\", 0]}");
            await().atMost(Duration.ofSeconds(10)).until(() -> reliability.attempts(key) >= 1);
            Thread.sleep(4000);
        } finally {
            BrokerAndRedis.redisCli(servers, "CONFIG", "SET", "min-replicas-to-write", "0");
        }
        assertEquals(1, reliability.attempts(key), "its clean-up write failed for 4 s; the task must not repeat");
    }

    @Test
    void aResultRefusedForLongerThanAFewTriesStillLandsOnceRedisTakesWritesAgain() throws Exception {
        String key = UUID.randomUUID().toString();
        String id = tasks.delay("counted_sleeper", key, 1000).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> reliability.attempts(key) == 1);
        BrokerAndRedis.redisCli(servers, "CONFIG", "SET", "min-replicas-to-write", "1");
        try {
            // Longer than five tries with their pauses: a refusal from inside a script is still the outage's.
            Thread.sleep(7000);
        } finally {
            BrokerAndRedis.redisCli(servers, "CONFIG", "SET", "min-replicas-to-write", "0");
        }
        JsonPath result = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> given().get("/tasks/result/{id}", id).jsonPath(), r -> r.getBoolean("ready"));
        assertEquals("SUCCESS", result.getString("state"), result.prettify());
        assertEquals(1, reliability.attempts(key));
    }

    @Test
    void tasksThatArriveWhileRedisIsDownWaitInTheQueueAndRunWhenItIsBack() throws Exception {
        List<String> keys = new ArrayList<>();
        BrokerAndRedis.redis(servers, "stop");
        try {
            for (int i = 0; i < 5; i++) {
                String key = UUID.randomUUID().toString();
                keys.add(key);
                publishRaw("{\"id\": \"" + UUID.randomUUID() + "\", \"task\": \"counted_ignored\", \"args\": [\""
                        + key + "\", 0]}");
            }
            // Each worker slot tries to start them, fails and hands them back: they must stay in the work queue.
            Thread.sleep(4000);
        } finally {
            BrokerAndRedis.redis(servers, "start");
        }
        await().atMost(Duration.ofSeconds(40)).until(() -> keys.stream().allMatch(k -> reliability.attempts(k) == 1));
        assertEquals(0, deadQueueDepth(), "a message handed back went to the dead-letter queue");
    }

    @Test
    void aFrozenBrokerNeitherHangsLivenessNorLosesASendWhoseConfirmDidNotCome() throws Exception {
        assertEquals(3, sum(add(1, 2).then().statusCode(200).extract().path("result_id")));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String uri = "http://localhost:" + ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
        Response accepted;
        BrokerAndRedis.freezeRabbitmq(servers, true);
        try {
            HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create(uri + "/q/health/live"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, live.statusCode(), live.body());
            // The message leaves, its confirm does not come: the send may have worked, so it is not reported as
            // failed, and its id and record are kept.
            accepted = add(20, 22);
            assertEquals(202, accepted.statusCode(), accepted.asString());
            assertEquals(false, accepted.jsonPath().getBoolean("confirmed"));
            assertEquals("PENDING", given().get("/tasks/result/{id}", accepted.jsonPath().getString("result_id"))
                    .jsonPath().getString("state"));
        } finally {
            BrokerAndRedis.freezeRabbitmq(servers, false);
        }
        assertEquals(42, sum(accepted.jsonPath().getString("result_id")), "the unconfirmed task ran");
    }

    private long deadQueueDepth() throws Exception {
        try (Connection connection = factory().newConnection(); Channel channel = connection.createChannel()) {
            return channel.queueDeclarePassive("celery.dead").getMessageCount();
        }
    }

    private ConnectionFactory factory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(Integer.parseInt(servers.get("celeriac.broker.port")));
        return factory;
    }

    private void publishRaw(String body) throws Exception {
        RawMessages.publish(Integer.parseInt(servers.get("celeriac.broker.port")), body);
    }
}
