package io.celeriac.worker;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;


import io.celeriac.client.DelayedQueue;
import io.celeriac.testing.Operators;
import io.celeriac.client.SendOptions;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.celeriac.client.TaskClient;
import io.celeriac.example.User;
import io.celeriac.message.TaskArgumentException;
import io.celeriac.result.ResultStore;
import io.celeriac.testing.RawMessages;
import io.quarkus.narayana.jta.QuarkusTransaction;
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

    @Inject
    TaskRunner runner;

    @Inject
    ResultStore results;

    @Inject
    DelayedQueue delayed;

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
        String id = tasks.delay("flaky", key, 2).id();
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
        String id = tasks.delay("flaky", key, 3).id();
        JsonPath failed = awaitState(id, "FAILURE", Duration.ofSeconds(15));
        assertEquals("attempt 3 of " + key + " failed", failed.getString("value.exc_message[0]"));
        assertEquals(3, probe.attempts(key), "the first run and two retries");

        String letter = await().atMost(Duration.ofSeconds(5))
                .until(() -> Operators.asViewer().get("/dead-letters").jsonPath()
                        .getString("dead_letters.find { it.task_id == '" + id + "' }.id"), l -> l != null);
        Operators.asViewer().get("/dead-letters/{id}", letter).then().statusCode(200)
                .body("reason", containsString("out of retries (2)"))
                .body("task", org.hamcrest.Matchers.equalTo("flaky"));

        Operators.asAdmin().post("/dead-letters/{id}/requeue", letter).then().statusCode(200);
        assertEquals(4, awaitState(id, "SUCCESS", Duration.ofSeconds(10)).getInt("value"));
        Operators.asViewer().get("/dead-letters/{id}", letter).then().statusCode(404);
    }

    @Test
    void aTaskCanAskForItsOwnRetry() {
        String id = tasks.delay("asks_retry", key()).id();
        assertEquals(1, awaitState(id, "SUCCESS", Duration.ofSeconds(10)).getInt("value"));
    }

    @Test
    void aCountdownTaskWaitsInRedisNotInAWorkerAndRunsWhenDue() {
        String key = key();
        Instant sent = Instant.now();
        String id = tasks.send("record", List.of(key), Map.of(), SendOptions.none().countdown(Duration.ofSeconds(2))).id();
        assertEquals(1, delayed.waiting(id), "the delayed task is held in Redis");
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                .until(() -> "PENDING".equals(result(id).getString("state")));
        JsonPath done = awaitState(id, "SUCCESS", Duration.ofSeconds(10));
        assertTrue(!Instant.parse(done.getString("value")).isBefore(sent.plusSeconds(2)), done.prettify());
        assertEquals(1, probe.attempts(key));
        // Removed once the broker confirmed it, which can come a moment after the worker has run it.
        await().atMost(Duration.ofSeconds(2)).until(() -> delayed.waiting(id) == 0);
    }

    @Test
    void anExpiredTaskDoesNotRunAndEndsRevokedWithTheReason() {
        String key = key();
        String id = tasks.send("record", List.of(key), Map.of(),
                SendOptions.none().countdown(Duration.ofMillis(1500)).expires(Duration.ofMillis(500))).id();
        JsonPath revoked = awaitState(id, "REVOKED", Duration.ofSeconds(10));
        assertTrue(revoked.getString("value.exc_message[0]").startsWith("expired at"), revoked.prettify());
        assertEquals(true, revoked.getBoolean("ready"));
        assertEquals(0, probe.attempts(key));
    }

    @Test
    void aRevokedTaskNeverStarts() {
        String key = key();
        String id = tasks.send("record", List.of(key), Map.of(), SendOptions.none().countdown(Duration.ofSeconds(1))).id();
        Operators.asAdmin().post("/tasks/{id}/revoke", id).then().statusCode(200);
        assertEquals("REVOKED", result(id).getString("state"));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> probe.attempts(key) == 0);
        assertEquals("REVOKED", result(id).getString("state"));
        Operators.asAdmin().post("/tasks/{id}/revoke", "no-such-task").then().statusCode(404);
    }

    @Test
    void aRunningTaskIsInterruptedWhenRevoked() {
        String key = key();
        String id = tasks.delay("sleeper", key, 20_000).id();
        awaitState(id, "STARTED", Duration.ofSeconds(5));
        Operators.asAdmin().post("/tasks/{id}/revoke", id).then().statusCode(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> probe.events().contains(key + ":interrupted:soft=false"));
        assertEquals("REVOKED", result(id).getString("state"));
    }

    @Test
    void theSoftTimeLimitInterruptsTheTaskSoItCanCleanUp() {
        String key = key();
        String id = tasks.send("sleeper", List.of(key, 10_000), Map.of(),
                SendOptions.none().softTimeLimit(Duration.ofMillis(500))).id();
        JsonPath failed = awaitState(id, "FAILURE", Duration.ofSeconds(5));
        assertEquals("InterruptedException", failed.getString("value.exc_type"));
        assertTrue(probe.events().contains(key + ":interrupted:soft=true"), probe.events().toString());
    }

    @Test
    void theHardTimeLimitEndsTheTaskAsFailureFreesItsSlotAndCountsTheAbandonedThread() {
        long start = System.nanoTime();
        int abandonedBefore = runner.abandonedCount();
        String id = tasks.delay("stubborn", 4_000).id();
        JsonPath failed = awaitState(id, "FAILURE", Duration.ofSeconds(5));
        assertEquals("TimeLimitExceeded", failed.getString("value.exc_type"));
        assertTrue(failed.getString("value.exc_message[0]").contains("longer than 1000 ms"));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 4_000, "it did not wait for the task's 4 s");
        // The slot is free although the abandoned thread still runs: the worker reports it.
        assertEquals(abandonedBefore + 1, runner.abandonedCount());
        assertEquals(abandonedBefore + 1, given().get("/q/health/live").jsonPath()
                .getInt("checks.find { it.name == 'celeriac-worker' }.data.abandoned"));
        String next = tasks.delay("record", key()).id();
        awaitState(next, "SUCCESS", Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> runner.abandonedCount() == abandonedBefore);
    }

    @Test
    void anAttemptThatOutlivesItsHardLimitIsNotRetriedBesideItself() {
        String key = key();
        String id = tasks.delay("stubborn_retried", key, 2_000).id();
        JsonPath failed = awaitState(id, "FAILURE", Duration.ofSeconds(5));
        assertTrue(failed.getString("value.exc_message[0]").contains("not retried: the abandoned attempt still runs"),
                failed.prettify());
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> probe.attempts(key) == 1);
    }

    @Test
    void anAbandonedAttemptCannotCommitItsTransactionAfterItsFailure() {
        String email = key() + "@example.org";
        String id = tasks.delay("stubborn_writer", email, 1_500).id();
        awaitState(id, "FAILURE", Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> probe.events().contains(email + ":returned"));
        await().atMost(Duration.ofSeconds(5)).until(() -> runner.abandonedCount() == 0);
        assertEquals(0L, QuarkusTransaction.requiringNew().call(() -> User.count("email", email)),
                "the abandoned attempt's row was rolled back");
    }

    @Test
    void aRedeliveredTaskThatAlreadySucceededIsNotRunAgain() throws Exception {
        String key = key();
        String id = tasks.delay("record", key).id();
        awaitState(id, "SUCCESS", Duration.ofSeconds(5));
        double skipped = skipped("record", "ready");
        String body = "{\"id\": \"" + id + "\", \"task\": \"record\", \"args\": [\"" + key + "\"]}";
        publishRaw(body);
        publishRaw(body);
        await().atMost(Duration.ofSeconds(10)).until(() -> skipped("record", "ready") >= skipped + 2);
        assertEquals(1, probe.attempts(key));
    }

    @Test
    void aTaskWhoseRecordSaysFailureIsNotRunAgain() throws Exception {
        String key = key();
        String id = tasks.delay("always_fails", key).id();
        awaitState(id, "FAILURE", Duration.ofSeconds(5));
        double skipped = skipped("always_fails", "ready");
        publishRaw("{\"id\": \"" + id + "\", \"task\": \"always_fails\", \"args\": [\"" + key + "\"]}");
        await().atMost(Duration.ofSeconds(10)).until(() -> skipped("always_fails", "ready") >= skipped + 1);
        assertEquals(1, probe.attempts(key));
        assertEquals("FAILURE", result(id).getString("state"));
    }

    @Test
    void aTasksDeclaredLimitsAndResultPolicyHoldForMessagesThatDoNotRepeatThem() throws Exception {
        // No timelimit in the message: stubborn's declared 1 s still ends it.
        String limited = key();
        publishRaw("{\"id\": \"" + limited + "\", \"task\": \"stubborn\", \"args\": [4000]}");
        JsonPath failed = awaitState(limited, "FAILURE", Duration.ofSeconds(5));
        assertEquals("TimeLimitExceeded", failed.getString("value.exc_type"));
        // No ignore_result in the message: counted_ignored's declared IGNORE holds, so no record is written.
        String key = key();
        String ignored = key();
        publishRaw("{\"id\": \"" + ignored + "\", \"task\": \"counted_ignored\", \"args\": [\"" + key
                + "\", 0]}");
        await().atMost(Duration.ofSeconds(5)).until(() -> probe.attempts(key) == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> !redis.key().exists("celery-task-meta-" + ignored));
        given().get("/tasks/result/{id}", ignored).then().statusCode(404);
    }

    @Test
    void aMalformedMessageWithAnIdClosesItsRecordAsFailure() throws Exception {
        String id = key();
        publishRaw("{\"id\": \"" + id + "\", \"task\": \"record\", \"args\": \"1, 2\"}");
        JsonPath failed = awaitState(id, "FAILURE", Duration.ofSeconds(5));
        assertEquals("MalformedMessageException", failed.getString("value.exc_type"));
        assertTrue(failed.getString("value.exc_message[0]").contains("args (the body's first element) is not a JSON array"), failed.prettify());
    }

    @Test
    void aTaskIdThatCannotBeAKeyIsRefusedBeforeSending() {
        for (String bad : List.of("x".repeat(200), "has{braces}", "new\nline", "")) {
            TaskArgumentException e = assertThrows(TaskArgumentException.class,
                    () -> tasks.send("record", List.of("k"), Map.of(), SendOptions.none().taskId(bad)));
            assertTrue(e.getMessage().startsWith("taskId of task 'record'"), e.getMessage());
        }
        assertTrue(redis.key().keys("celery-task-meta-has{braces}").isEmpty());
    }

    @Test
    void aLateStateWriteCannotUndoAFinalResult() {
        String id = tasks.delay("record", key()).id();
        awaitState(id, "SUCCESS", Duration.ofSeconds(5));
        assertFalse(results.state(id, "record", "PROGRESS", JsonNodeFactory.instance.objectNode().put("current", 1),
                null), "the write was refused");
        assertEquals("SUCCESS", result(id).getString("state"));
    }

    @Test
    void twoRequeuesOfOneDeadLetterAtOnceSendItOnce() throws Exception {
        String key = key();
        String id = tasks.delay("flaky", key, 3).id();
        awaitState(id, "FAILURE", Duration.ofSeconds(15));
        String letter = await().atMost(Duration.ofSeconds(5))
                .until(() -> Operators.asViewer().get("/dead-letters").jsonPath()
                        .getString("dead_letters.find { it.task_id == '" + id + "' }.id"), l -> l != null);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var a = pool.submit(() -> Operators.asAdmin().post("/dead-letters/{id}/requeue", letter).statusCode());
            var b = pool.submit(() -> Operators.asAdmin().post("/dead-letters/{id}/requeue", letter).statusCode());
            List<Integer> codes = new java.util.ArrayList<>(List.of(a.get(), b.get()));
            java.util.Collections.sort(codes);
            assertEquals(List.of(200, 404), codes, "one requeue wins, the other finds no letter");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(4, awaitState(id, "SUCCESS", Duration.ofSeconds(10)).getInt("value"));
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> probe.attempts(key) == 4);
    }

    @Test
    void messagesThatCannotRunAreDeadLetteredWithTheReason() throws Exception {
        String marker = key();
        // Celery's headers, but a body that is not JSON.
        RawMessages.publishRaw(brokerPort, RawMessages.properties("{\"id\": \"" + key() + "\", \"task\": \"record\"}"),
                ("not json " + marker).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        publishRaw("{\"id\": \"" + marker + "\", \"task\": \"record\", \"args\": [1, 2]}");
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            List<Map<String, String>> letters = Operators.asViewer().get("/dead-letters?limit=50").jsonPath()
                    .getList("dead_letters");
            // The list leaves the messages out; an admin reads one letter's.
            return letters.stream().anyMatch(l -> l.get("reason").startsWith("malformed: task message is not valid "
                    + "JSON") && Operators.asAdmin().get("/dead-letters/{id}", l.get("id")).jsonPath()
                            .getString("body").contains("not json " + marker))
                    && letters.stream().anyMatch(l -> marker.equals(l.get("task_id"))
                            && l.get("reason").startsWith("arguments do not fit: task 'record' takes 1 argument"));
        });
        Operators.asViewer().get("/dead-letters?limit=zero").then().statusCode(400).body("field",
                org.hamcrest.Matchers.equalTo("limit"));
    }

    private static double skipped(String task, String reason) {
        double sum = 0;
        for (String line : given().get("/q/metrics").asString().split("\n")) {
            if (line.startsWith("celeriac_tasks_skipped_total{") && line.contains("task=\"" + task + "\"")
                    && line.contains("reason=\"" + reason + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private void publishRaw(String body) throws Exception {
        RawMessages.publish(brokerPort, body);
    }
}
