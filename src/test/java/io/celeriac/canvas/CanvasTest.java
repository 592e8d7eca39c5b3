package io.celeriac.canvas;

import static io.celeriac.canvas.Signature.chain;
import static io.celeriac.canvas.Signature.chord;
import static io.celeriac.canvas.Signature.group;
import static io.celeriac.canvas.Signature.immutable;
import static io.celeriac.canvas.Signature.of;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.celeriac.client.AsyncResult;
import io.celeriac.testing.Operators;
import io.celeriac.client.GroupResult;
import io.celeriac.client.TaskClient;
import io.celeriac.client.TaskFailedException;
import io.celeriac.testing.RawMessages;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;

/** Chains, groups, chords and callbacks, run by this app's worker on the real servers. */
@QuarkusTest
class CanvasTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @Inject
    Canvas canvas;

    @Inject
    TaskClient tasks;

    @Inject
    CanvasTasks probe;

    @Inject
    Chords chords;

    @Inject
    RedisDataSource redis;

    @Inject
    io.celeriac.result.ResultStore results;

    @ConfigProperty(name = "celeriac.broker.port")
    int brokerPort;

    private static String key() {
        return UUID.randomUUID().toString();
    }

    @Test
    void aChainPassesEachResultToTheNextTaskAndItsHandleIsTheLastTasks() {
        AsyncResult<Object> last = canvas.apply(chain(of("add", 2, 2), of("add", 4), of("mul", 8)));
        assertEquals(64L, last.as(Long.class).get(WAIT));
        AsyncResult<?> second = last.parent().orElseThrow();
        AsyncResult<?> first = second.parent().orElseThrow();
        assertEquals(8, second.get(WAIT));
        assertEquals(4, first.get(WAIT));
        assertTrue(first.parent().isEmpty());
    }

    @Test
    void everyTaskOfASentChainIsKnownAtOnce() {
        AsyncResult<Object> last = canvas.apply(chain(of("canvas_sleep", 300), immutable("add", 1, 1)));
        assertEquals("PENDING", given().get("/tasks/result/{id}", last.id()).then().statusCode(200).extract()
                .jsonPath().getString("state"), "not 404 while the first task runs");
        assertEquals(2, last.get(WAIT));
    }

    @Test
    void anImmutableSignatureIgnoresItsParentsResult() {
        assertEquals(20, canvas.apply(chain(of("add", 1, 1), immutable("add", 10, 10))).get(WAIT));
    }

    @Test
    void aFailureStopsTheChainAndFailsEveryTaskAfterIt() {
        String key = key();
        AsyncResult<Object> last = canvas.apply(chain(of("add", 1, 1), immutable("canvas_fail", "broken link"),
                of("canvas_collect", key), of("add", 1)));
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> last.get(WAIT));
        assertEquals("IllegalStateException", e.excType());
        assertTrue(e.getMessage().contains("broken link"), e.getMessage());
        assertEquals("FAILURE", last.parent().orElseThrow().state(), "the task between fails too");
        assertEquals(0, probe.runs(key), "nothing after the failure runs");
    }

    @Test
    void aRetriedTaskInAChainPassesOnTheResultOfTheRunThatSucceeded() {
        String key = key();
        AsyncResult<Object> last = canvas.apply(chain(of("canvas_flaky", 7, key, 2), of("mul", 6)));
        assertEquals(42, last.get(WAIT));
        assertEquals(3, probe.runs(key));
    }

    @Test
    void aRequeuedDeadLetterTakesTheRestOfItsChainWithIt() {
        String key = key();
        // Four failures: the first run and three retries, then a dead letter; the requeued fifth run succeeds.
        AsyncResult<Object> last = canvas.apply(chain(of("canvas_flaky", 5, key, 4), of("mul", 2)));
        TaskFailedException failed = assertThrows(TaskFailedException.class, () -> last.get(WAIT));
        assertEquals("IOException", failed.excType(), "the chain's last task fails with its first");
        String first = last.parent().orElseThrow().id();
        String letter = await().atMost(WAIT).until(() -> Operators.asViewer().get("/dead-letters").jsonPath()
                .getString("dead_letters.find { it.task_id == '" + first + "' }.id"), l -> l != null);
        Operators.asAdmin().post("/dead-letters/{id}/requeue", letter).then().statusCode(200);
        assertEquals(10, last.get(WAIT));
    }

    @Test
    void aGroupRunsItsMembersAndReturnsTheirResultsInOrder() {
        List<Signature> members = IntStream.range(0, 6).mapToObj(i -> of("add", i, i)).toList();
        GroupResult sent = canvas.applyGroup(group(members));
        assertEquals(List.of(0, 2, 4, 6, 8, 10), sent.get(WAIT));
        assertEquals(6, sent.size());
        assertEquals(6, sent.completed());
        assertTrue(sent.ready() && sent.successful());

        GroupResult restored = tasks.group(sent.id()).orElseThrow();
        assertEquals(sent.results().stream().map(AsyncResult::id).toList(),
                restored.results().stream().map(AsyncResult::id).toList());
        assertTrue(redis.key().exists("celery-taskset-meta-" + sent.id()), "saved where Celery saves a group");
        given().get("/groups/{id}", sent.id()).then().statusCode(200)
                .body("size", org.hamcrest.Matchers.equalTo(6))
                .body("completed", org.hamcrest.Matchers.equalTo(6))
                .body("results", org.hamcrest.Matchers.contains(0, 2, 4, 6, 8, 10));
    }

    @Test
    void anUnknownGroupAnswers404AndABadIdAnswers400() {
        given().get("/groups/{id}", key()).then().statusCode(404);
        given().get("/groups/{id}", "not an id!").then().statusCode(400);
    }

    @Test
    void aChordRunsItsBodyOnceWithTheResultsInOrder() {
        String key = key();
        List<Signature> header = IntStream.range(0, 10).mapToObj(i -> of("add", i, i)).toList();
        AsyncResult<Object> body = canvas.apply(chord(header, of("canvas_body", key)));
        assertEquals(90L, body.as(Long.class).get(WAIT));
        assertEquals(1, probe.runs(key));
    }

    @Test
    void aChordWithAFailedMemberFailsItsBodyWithChordErrorAndSendsTheBodysErrbacks() {
        String body = key();
        String errors = key();
        AsyncResult<Object> sent = canvas.apply(chord(List.of(of("add", 1, 1), of("canvas_fail", "member down")),
                of("canvas_body", body).linkError(of("canvas_collect", errors))));
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> sent.get(WAIT));
        assertEquals("ChordError", e.excType());
        assertEquals("celery.exceptions", e.excModule());
        assertTrue(e.getMessage().contains("raised IllegalStateException('member down')"), e.getMessage());
        assertEquals(0, probe.runs(body));
        await().atMost(WAIT).until(() -> probe.runs(errors) == 1);
        assertEquals(sent.id(), probe.received(errors).get(0).asText(), "the errback gets the failed body's id");
    }

    @Test
    void aChordWhoseMemberIsRevokedResolvesAsFailure() {
        String blocked = key();
        List<Signature> header = List.of(of("add", 1, 1), of("canvas_sleep", 60_000).withId(blocked));
        AsyncResult<Object> body = canvas.apply(chord(header, of("xsum")));
        await().atMost(WAIT).until(() -> "STARTED".equals(tasks.result(blocked).state()));
        tasks.result(blocked).revoke();
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> body.get(WAIT));
        assertEquals("ChordError", e.excType());
        assertTrue(e.getMessage().contains("TaskRevokedError"), e.getMessage());
    }

    @Test
    void aChordWithAMemberOfAnUnknownTaskFailsItsBodyInsteadOfWaitingForEver() {
        AsyncResult<Object> body = canvas.apply(chord(List.of(of("add", 1, 1), of("no_such_task_here", 1)),
                of("xsum")));
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> body.get(WAIT));
        assertEquals("ChordError", e.excType());
        assertTrue(e.getMessage().contains("NotRegistered"), e.getMessage());
    }

    @Test
    void aChordWithAMemberOutOfRetriesOrExpiredFailsItsBody() {
        String key = key();
        AsyncResult<Object> retried = canvas.apply(chord(List.of(of("add", 1, 1), of("canvas_flaky", 1, key, 10)),
                of("xsum")));
        TaskFailedException outOfRetries = assertThrows(TaskFailedException.class, () -> retried.get(WAIT));
        assertEquals("ChordError", outOfRetries.excType());
        assertTrue(outOfRetries.getMessage().contains("IOException"), outOfRetries.getMessage());
        assertEquals(4, probe.runs(key), "the first run and three retries");

        AsyncResult<Object> expired = canvas.apply(chord(List.of(of("add", 1, 1),
                of("add", 2, 2).expires(java.time.Instant.now().minusSeconds(1))), of("xsum")));
        TaskFailedException revoked = assertThrows(TaskFailedException.class, () -> expired.get(WAIT));
        assertEquals("ChordError", revoked.excType());
        assertTrue(revoked.getMessage().contains("expired at"), revoked.getMessage());
    }

    @Test
    void aChordWithAnEmptyHeaderRunsItsBodyWithNoResults() {
        assertEquals(0, canvas.apply(chord(List.of(), of("xsum"))).get(WAIT));
    }

    @Test
    void aMemberDeliveredAgainAfterTheChordFiredDoesNotFireItAgain() throws Exception {
        String key = key();
        String group = key();
        String member = key();
        AsyncResult<Object> body = canvas.apply(chord(group(of("add", 2, 3).withId(member)).withId(group),
                of("canvas_body", key)));
        assertEquals(5, body.get(WAIT));
        String chordJson = canvas.freeze(of("canvas_body", key).withId(body.id())).toJson().toString();
        RawMessages.publish(brokerPort, "{\"id\": \"" + member + "\", \"task\": \"add\", \"args\": [2, 3], "
                + "\"group\": \"" + group + "\", \"group_index\": 0, \"embed\": {\"callbacks\": null, "
                + "\"errbacks\": null, \"chain\": null, \"chord\": " + chordJson + "}}");
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> probe.runs(key) == 1);
    }

    @Test
    void aMessageRedeliveredAfterItsOutcomeWasStoredSendsWhatFollowsFromThatOutcome() throws Exception {
        // As if its worker died after storing SUCCESS and before sending the next task: the redelivery does not run
        // the task again, and does not drop the rest of the chain either.
        String id = key();
        String next = key();
        String key = key();
        results.succeeded(id, "add", JsonNodeFactory.instance.numberNode(41), null);
        String nextJson = of("canvas_collect", key).withId(next).toJson().toString();
        RawMessages.publish(brokerPort, "{\"id\": \"" + id + "\", \"task\": \"add\", \"args\": [40, 1], "
                + "\"embed\": {\"callbacks\": null, \"errbacks\": null, \"chain\": [" + nextJson + "], "
                + "\"chord\": null}}");
        assertEquals(41, tasks.result(next).get(WAIT));
        assertEquals(41, probe.received(key).get(0).asInt());
    }

    @Test
    void aMemberCountedTwiceWithTwoResultsCountsOnce() {
        String group = key();
        chords.size(group, 2);
        var one = JsonNodeFactory.instance.numberNode(1);
        var other = JsonNodeFactory.instance.numberNode(2);
        assertTrue(chords.returned(group, 0, "a", "SUCCESS", one).isEmpty());
        assertTrue(chords.returned(group, 0, "a", "SUCCESS", other).isEmpty(), "a second run of a is not b");
        var parts = chords.returned(group, 1, "b", "SUCCESS", other).orElseThrow();
        assertEquals(List.of("a", "b"), parts.stream().map(Chords.Part::taskId).toList());
        assertEquals(one, parts.get(0).result(), "the first outcome stands");
        assertTrue(chords.returned(group, 1, "b", "SUCCESS", other).isPresent(),
                "the member that claimed the firing may fire again (it died before sending the body)");
        assertTrue(chords.returned(group, 0, "a", "SUCCESS", one).isEmpty(), "no other member may");
        chords.fired(group);
        assertTrue(chords.returned(group, 1, "b", "SUCCESS", other).isEmpty(), "nothing fires once the body is sent");
        for (String suffix : List.of(".j", ".ids", ".claim")) {
            long ttl = redis.key().ttl("celery-taskset-meta-" + group + suffix);
            assertTrue(ttl > 0 || ttl == -2, suffix + " expires (ttl " + ttl + ")");
        }
    }

    @Test
    void linkSendsTheResultOnAndLinkErrorSendsTheFailedId() {
        String done = key();
        String errors = key();
        AsyncResult<Object> ok = canvas.apply(of("add", 2, 2).link(of("canvas_collect", done)));
        AsyncResult<Object> failing = canvas.apply(of("canvas_fail", "no").linkError(of("canvas_collect", errors)));
        assertEquals(4, ok.get(WAIT));
        await().atMost(WAIT).until(() -> probe.runs(done) == 1 && probe.runs(errors) == 1);
        assertEquals(4, probe.received(done).get(0).asInt());
        assertEquals(failing.id(), probe.received(errors).get(0).asText());
    }

    @Test
    void aGroupFollowedByATaskInAChainBecomesAChord() {
        AsyncResult<Object> last = canvas.apply(chain(of("add", 1, 1), group(of("add", 2), of("add", 3)),
                of("xsum")));
        assertEquals(9, last.get(WAIT), "add(2, 2) + add(2, 3)");
    }

    @Test
    void aChordInsideAChainPassesItsBodysResultOn() {
        AsyncResult<Object> last = canvas.apply(chain(chord(List.of(of("add", 1, 1), of("add", 2, 2)), of("xsum")),
                of("mul", 10)));
        assertEquals(60, last.get(WAIT));
    }

    @Test
    void revokingAChainsPendingTaskStopsWhatFollows() {
        String pending = key();
        String key = key();
        AsyncResult<Object> last = canvas.apply(chain(of("canvas_sleep", 800), immutable("add", 1, 1)
                .withId(pending), of("canvas_collect", key)));
        tasks.result(pending).revoke();
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> last.get(WAIT));
        assertEquals("REVOKED", e.state());
        assertEquals("REVOKED", tasks.result(pending).state());
        assertEquals(0, probe.runs(key));
    }

    @Test
    void aTaskRevokedWhileItRanStopsItsChainEvenIfItReturns() {
        String running = key();
        String key = key();
        AsyncResult<Object> last = canvas.apply(chain(of("canvas_stubborn", 800).withId(running),
                of("canvas_collect", key)));
        await().atMost(WAIT).until(() -> "STARTED".equals(tasks.result(running).state()));
        tasks.result(running).revoke();
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> last.get(WAIT));
        assertEquals("REVOKED", e.state(), "what follows goes by the stored outcome, not by what the task returned");
        await().during(Duration.ofMillis(500)).until(() -> probe.runs(key) == 0);
    }

    @Test
    void aCountdownOnAChainedTaskCountsFromWhenItIsSentAndExpiryRevokesIt() {
        long start = System.nanoTime();
        AsyncResult<Object> delayed = canvas.apply(chain(of("canvas_sleep", 1200),
                immutable("add", 1, 2).countdown(Duration.ofMillis(1000))));
        assertEquals(3, delayed.get(WAIT));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs >= 2200, "the countdown starts when its parent is done: ran after " + tookMs + " ms");
        String key = key();
        AsyncResult<Object> expired = canvas.apply(chain(of("canvas_sleep", 600),
                immutable("canvas_collect", "x", key).expires(java.time.Instant.now().plusMillis(100))));
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> expired.get(WAIT));
        assertEquals("REVOKED", e.state());
        assertEquals(0, probe.runs(key));
    }

    @Test
    void aNestedGroupIsUnrolledIntoItsMembers() {
        GroupResult sent = canvas.applyGroup(group(group(of("add", 1, 1), of("add", 2, 2)), of("add", 3, 3)));
        assertEquals(List.of(2, 4, 6), sent.get(WAIT));
    }

    @Test
    void aChainsLinkErrorReachesWhicheverTaskFails() {
        String errors = key();
        AsyncResult<Object> last = canvas.apply(chain(of("add", 1, 1), immutable("canvas_fail", "second"),
                of("add", 1)).linkError(of("canvas_collect", errors)));
        assertThrows(TaskFailedException.class, () -> last.get(WAIT));
        await().atMost(WAIT).until(() -> probe.runs(errors) >= 1);
        assertEquals(last.parent().orElseThrow().id(), probe.received(errors).get(0).asText());
    }

    @Test
    void aCallbackSentAgainByARedeliveryRunsOnce() throws Exception {
        String id = key();
        String key = key();
        results.succeeded(id, "add", JsonNodeFactory.instance.numberNode(7), null);
        // Celery's link signatures carry no id: a redelivered message must still send the same callback.
        String callback = "{\"task\": \"canvas_collect\", \"args\": [\"" + key + "\"], \"kwargs\": {}, "
                + "\"options\": {}, \"subtask_type\": null, \"immutable\": false}";
        String message = "{\"id\": \"" + id + "\", \"task\": \"add\", \"args\": [3, 4], \"embed\": "
                + "{\"callbacks\": [" + callback + "], \"errbacks\": null, \"chain\": null, \"chord\": null}}";
        RawMessages.publish(brokerPort, message);
        await().atMost(WAIT).until(() -> probe.runs(key) == 1);
        RawMessages.publish(brokerPort, message);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> probe.runs(key) == 1);
    }

    @Test
    void aChordsGroupIsNotSavedWhereAPythonWorkerWouldJoinIt() {
        String group = key();
        AsyncResult<Object> body = canvas.apply(chord(group(of("add", 1, 1), of("add", 2, 2)).withId(group),
                of("xsum")));
        assertEquals(6, body.get(WAIT));
        assertFalse(redis.key().exists("celery-taskset-meta-" + group));
        assertEquals(2, tasks.group(group).orElseThrow().completed(), "its progress is still known");
    }

    @Test
    void aGroupCannotBeSentForOneResult() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> canvas.apply(group(of("add", 1, 1))));
        assertTrue(e.getMessage().contains("applyGroup"), e.getMessage());
    }

    @Test
    void theExampleArchivesEveryUserThenBundlesTheArchives() {
        int users = given().get("/users").then().statusCode(200).extract().jsonPath().getList("$").size();
        assertTrue(users >= 2, "the example's seeded users");
        var sent = given().post("/users/archive-all").then().statusCode(200).extract().jsonPath();
        String bundle = sent.getString("result_id");
        String group = sent.getString("group_id");
        var done = await().atMost(Duration.ofSeconds(30)).until(
                () -> given().get("/tasks/result/{id}", bundle).then().extract().jsonPath(),
                r -> r.getBoolean("ready"));
        assertTrue(done.getBoolean("successful"), done.prettify());
        assertEquals(users, done.getInt("value.archives"), done.prettify());
        var progress = given().get("/groups/{id}", group).then().statusCode(200).extract().jsonPath();
        assertEquals(users, progress.getInt("size"));
        assertEquals(users, progress.getInt("completed"));
        assertNull(progress.getString("results.find { it == null }"));
        assertFalse(progress.getList("results").isEmpty());
    }
}
