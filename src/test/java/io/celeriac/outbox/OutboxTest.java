package io.celeriac.outbox;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.client.TaskClient;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.worker.ReliabilityTasks;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;

/** Sends inside a transaction wait for its commit, vanish with its rollback, and survive a crash in between. */
@QuarkusTest
class OutboxTest {

    @Inject
    TaskClient tasks;

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Inject
    OutboxTable table;

    @Inject
    OutboxRelay relay;

    @Inject
    TaskMessageCodec codec;

    @Inject
    ReliabilityTasks probe;

    @Inject
    io.celeriac.client.DelayedQueue delayed;

    private static int status(String id) {
        return given().get("/tasks/result/{id}", id).statusCode();
    }

    private static void awaitSuccess(String id) {
        await().atMost(Duration.ofSeconds(15)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
                .until(() -> status(id) == 200
                && "SUCCESS".equals(given().get("/tasks/result/{id}", id).jsonPath().getString("state")));
    }

    @Test
    void aTaskSentInATransactionIsPublishedOnlyOnceItCommits() {
        String key = UUID.randomUUID().toString();
        String id = QuarkusTransaction.requiringNew().call(() -> {
            String sent = tasks.delay("record", key).id();
            // Long enough for a worker to have run it, had it been published.
            Thread.sleep(1500);
            assertEquals(404, status(sent), "not even PENDING before the commit");
            assertEquals(0, probe.attempts(key), "it did not run before the commit");
            return sent;
        });
        awaitSuccess(id);
        assertEquals(1, probe.attempts(key));
    }

    @Test
    void aTaskInATransactionOfItsOwnSendsOnlyOnceItCommitsAndNothingWhenItFails() throws Exception {
        String key = UUID.randomUUID().toString();
        Integer ranBeforeTheCommit = tasks.<Integer>delay("sends_in_its_transaction", key, false)
                .get(Duration.ofSeconds(20));
        assertEquals(0, ranBeforeTheCommit, "what the task sent waited for its transaction to commit");
        await().atMost(Duration.ofSeconds(15)).until(() -> probe.attempts(key) == 1);

        String failing = UUID.randomUUID().toString();
        var failed = tasks.delay("sends_in_its_transaction", failing, true);
        org.junit.jupiter.api.Assertions.assertThrows(io.celeriac.client.TaskFailedException.class,
                () -> failed.get(Duration.ofSeconds(20)));
        Thread.sleep(1500);
        assertEquals(0, probe.attempts(failing), "its rollback sent nothing");
    }

    @Test
    void aRollbackSendsNothing() throws Exception {
        String key = UUID.randomUUID().toString();
        long held = table.count();
        QuarkusTransaction.begin();
        String id = tasks.delay("record", key).id();
        QuarkusTransaction.rollback();
        Thread.sleep(1500);
        assertEquals(404, status(id), "answers as never sent");
        assertEquals(0, probe.attempts(key));
        assertEquals(held, table.count(), "no row left");
    }

    @Test
    void outsideATransactionASendIsPublishedAtOnce() {
        String key = UUID.randomUUID().toString();
        String id = tasks.delay("record", key).id();
        assertEquals(200, status(id), "recorded before the call returned");
        awaitSuccess(id);
    }

    @Test
    void creatingAUserSendsItsArchiveWhichAlwaysFindsIt() {
        List<String> results = new ArrayList<>();
        String run = UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 30; i++) {
            Map<String, Object> created = given().formParams(Map.of("name", "User " + i, "email", "u" + i + "-" + run
                    + "@example.org")).post("/users").then().statusCode(200).extract().jsonPath().getMap("");
            assertTrue(created.get("user_id") instanceof Number, created.toString());
            results.add((String) created.get("result_id"));
        }
        for (String id : results) {
            await().atMost(Duration.ofSeconds(20)).until(() -> given().get("/tasks/result/{id}", id).jsonPath()
                    .getBoolean("ready"));
            given().get("/tasks/result/{id}", id).then().body("state", org.hamcrest.Matchers.equalTo("SUCCESS"));
        }
    }

    @Test
    void aTakenEmailAnswers409AndSendsNothing() {
        String email = "taken-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
        given().formParams(Map.of("name", "First", "email", email)).post("/users").then().statusCode(200);
        double sentBefore = sentArchives();
        given().formParams(Map.of("name", "Second", "email", email.toUpperCase())).post("/users").then()
                .statusCode(409).body("field", org.hamcrest.Matchers.equalTo("email"));
        assertEquals(sentBefore, sentArchives(), "no archive sent for the refused user");
        given().formParams(Map.of("name", "", "email", "x@example.org")).post("/users").then().statusCode(400)
                .body("field", org.hamcrest.Matchers.equalTo("name"));
        given().formParams(Map.of("name", "No Email", "email", "not-an-address")).post("/users").then()
                .statusCode(400).body("field", org.hamcrest.Matchers.equalTo("email"));
    }

    private static double skippedAsReady() {
        return io.celeriac.testing.Metrics.skipped("record", "ready");
    }

    @Test
    void aTransactionMarkedForRollbackRefusesASendInsteadOfPublishingIt() throws Exception {
        String key = UUID.randomUUID().toString();
        QuarkusTransaction.begin();
        try {
            QuarkusTransaction.setRollbackOnly();
            org.junit.jupiter.api.Assertions.assertThrows(io.celeriac.client.TaskNotSentException.class,
                    () -> tasks.delay("record", key));
        } finally {
            QuarkusTransaction.rollback();
        }
        Thread.sleep(500);
        assertEquals(0, probe.attempts(key));
    }

    @Test
    void aCountdownSentInATransactionWaitsForTheCommitThenForItsTime() throws Exception {
        String key = UUID.randomUUID().toString();
        long committed = QuarkusTransaction.requiringNew().call(() -> {
            tasks.send("record", List.of(key), Map.of(), io.celeriac.client.SendOptions.none()
                    .countdown(Duration.ofSeconds(2)));
            return System.nanoTime();
        });
        await().atMost(Duration.ofSeconds(15)).until(() -> probe.attempts(key) == 1);
        assertTrue(Duration.ofNanos(System.nanoTime() - committed).toMillis() >= 1500, "ran before its countdown");
    }

    @Test
    void aRowWithAnEtaPublishedTwiceWaitsInTheDelayedQueueOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        TaskMessage message = message(key);
        String eta = io.celeriac.message.CeleryTime.format(java.time.Instant.now().plusSeconds(3));
        TaskMessage later = new TaskMessage(message.id(), "record", message.args(), message.kwargs(), null, 0, eta,
                null, message.id(), null, null, null, false, null, null, null, null, null, null);
        OutboxTable.Row row = new OutboxTable.Row(UUID.randomUUID().toString(), later.id(), codec.store(later));
        long waiting = delayed.size();
        relay.publish(List.of(row));
        relay.publish(List.of(row));
        assertEquals(waiting + 1, delayed.size(), "published twice, it waits once");
        await().atMost(Duration.ofSeconds(15)).until(() -> probe.attempts(key) == 1);
    }

    private static double sentArchives() {
        String metrics = given().get("/q/metrics").asString();
        return metrics.lines().filter(l -> l.startsWith("celeriac_tasks_sent_total{task=\"generate_user_archive\"}"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** A row committed but never published (its instance died): any instance's sweep publishes it. */
    @Test
    void aRowLeftBehindIsPublishedByTheSweep() throws Exception {
        String key = UUID.randomUUID().toString();
        String id = leftBehind(key);
        assertEquals(List.of(id), relay.sweep());
        awaitSuccess(id);
        assertEquals(1, probe.attempts(key));
    }

    @Test
    void twoRelaysSweepingAtOnceEachPublishADifferentShareAndEveryRowOnce() throws Exception {
        int rows = 200;
        List<String> keys = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            String key = UUID.randomUUID().toString();
            keys.add(key);
            ids.add(leftBehind(key));
        }
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<String>>> sweeps = List.of(two.submit(() -> {
                go.await();
                return relay.sweep();
            }), two.submit(() -> {
                go.await();
                return relay.sweep();
            }));
            go.countDown();
            // The app's own sweep waits an hour in this profile: these two are the only relays.
            List<String> first = sweeps.get(0).get();
            List<String> second = sweeps.get(1).get();
            java.util.Set<String> both = new java.util.HashSet<>(first);
            both.retainAll(second);
            assertEquals(java.util.Set.of(), both, "rows published by both relays");
            java.util.Set<String> all = new java.util.HashSet<>(first);
            all.addAll(second);
            assertEquals(new java.util.HashSet<>(ids), all, first.size() + " + " + second.size() + " of " + rows);
        } finally {
            two.shutdown();
        }
        for (String id : ids) {
            awaitSuccess(id);
        }
        for (String key : keys) {
            assertEquals(1, probe.attempts(key), key);
        }
        assertEquals(0, table.count());
    }

    /** A row published twice (a crash after the broker's confirm, before the delete) runs its task once. */
    @Test
    void aRowPublishedTwiceRunsItsTaskOnce() throws Exception {
        String key = UUID.randomUUID().toString();
        TaskMessage message = message(key);
        OutboxTable.Row row = new OutboxTable.Row(UUID.randomUUID().toString(), message.id(), codec.store(message));
        assertEquals(List.of(row), relay.publish(List.of(row)));
        awaitSuccess(message.id());
        double skippedBefore = skippedAsReady();
        assertEquals(List.of(row), relay.publish(List.of(row)));
        await("the second copy is delivered").atMost(Duration.ofSeconds(10))
                .until(() -> skippedAsReady() > skippedBefore);
        assertEquals(1, probe.attempts(key), "the second copy found the task done");
        assertEquals("SUCCESS", given().get("/tasks/result/{id}", message.id()).jsonPath().getString("state"),
                "and did not turn it back into PENDING");
    }

    private TaskMessage message(String key) {
        String id = UUID.randomUUID().toString();
        var args = io.celeriac.message.WireJson.MAPPER.createArrayNode().add(key);
        return new TaskMessage(id, "record", args, io.celeriac.message.WireJson.MAPPER.createObjectNode(), null, 0,
                null, null, id, null, null, null, false, null, null, null, null, null, null);
    }

    /** A committed row whose claim already ran out, as a process killed after its commit leaves it. */
    private String leftBehind(String key) {
        return leftBehindRow(key).taskId();
    }

    private OutboxTable.Row leftBehindRow(String key) {
        TaskMessage message = message(key);
        return QuarkusTransaction.requiringNew().call(() -> table.insert(message.id(), codec.store(message),
                "a-dead-instance", System.currentTimeMillis() - 1));
    }

    /**
     * With Redis away, a sweep of a batch tries the batch and then one row alone, and stops: trying each of the
     * others alone would wait out the publish timeout once per row, holding the sweep for minutes.
     */
    @Test
    void aSweepDuringAnOutageStopsAfterOneRowAloneFailsToo() throws Exception {
        List<OutboxTable.Row> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            rows.add(leftBehindRow(UUID.randomUUID().toString()));
        }
        List<String> attempts = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (String.valueOf(record.getMessage()).contains("not published yet")) {
                    attempts.add(String.valueOf(record.getMessage()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(OutboxRelay.class.getName());
        logger.addHandler(capture);
        BrokerAndRedis.freezeRedis(servers, true);
        try {
            assertEquals(List.of(), relay.sweep());
        } finally {
            BrokerAndRedis.freezeRedis(servers, false);
            logger.removeHandler(capture);
            table.delete(rows);
        }
        assertEquals(2, attempts.size(), "the batch, then one row alone: " + attempts);
    }
}
