package io.celeriac.worker;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.client.TaskClient;
import io.celeriac.testing.BrokerAndRedis;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/**
 * Senders fail fast while the broker or Redis is down and recover by themselves; the worker re-attaches and goes on
 * consuming (no silent stall after a reconnect, celery #3201).
 */
@QuarkusTest
class ServerRestartTest {

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Inject
    TaskClient tasks;

    @Inject
    ReliabilityTasks reliability;

    private static Response add(int a, int b) {
        return given().formParams(Map.of("a", a, "b", b)).post("/tasks/add");
    }

    private static int sum(String id) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> given().get("/tasks/result/{id}", id).jsonPath(), r -> r.getBoolean("ready"))
                .getInt("value");
    }

    @Test
    void aBrokerRestartFailsSendsFastThenTasksFlowAgain() {
        assertEquals(3, sum(add(1, 2).then().statusCode(200).extract().path("result_id")));
        BrokerAndRedis.rabbitmq(servers, "stop");
        try {
            long start = System.nanoTime();
            Response down = add(1, 1);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(503, down.statusCode(), down.asString());
            assertTrue(millis < 10_000, "a send to a stopped broker took " + millis + " ms");
        } finally {
            BrokerAndRedis.rabbitmq(servers, "start");
        }
        String id = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> add(20, 22), r -> r.statusCode() == 200).path("result_id");
        assertEquals(42, sum(id), "the consumer re-attached after the restart");
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
    void aTaskWhoseOutcomeCannotBeStoredGoesBackAndItsResultLandsOnceRedisIsBack() throws InterruptedException {
        String key = UUID.randomUUID().toString();
        String id = tasks.delay("counted_sleeper", key, 1500);
        await().atMost(Duration.ofSeconds(10)).until(() -> reliability.attempts(key) == 1);
        BrokerAndRedis.redis(servers, "stop");
        try {
            // The run ends while Redis is down: its SUCCESS cannot be written, so its message must not be acked.
            Thread.sleep(3000);
        } finally {
            BrokerAndRedis.redis(servers, "start");
        }
        // Until Redis is up and the task has run again, the status answers 503, 404 (a Redis without its data) or
        // STARTED.
        JsonPath result = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> given().get("/tasks/result/{id}", id).jsonPath(),
                        r -> Boolean.TRUE.equals(r.get("ready")));
        assertTrue(result.getBoolean("successful"), result.prettify());
        assertTrue(reliability.attempts(key) >= 2, "the task ran again after its first outcome was lost");
        assertEquals(reliability.attempts(key), result.getInt("value"), "the stored result is the last run's");
    }
}
