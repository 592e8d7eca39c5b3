package io.celeriac.interop;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.canvas.Canvas;
import io.celeriac.canvas.Signature;
import io.celeriac.client.AsyncResult;
import io.celeriac.client.SendOptions;
import io.celeriac.client.TaskClient;
import io.celeriac.client.TaskFailedException;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.Operators;
import io.celeriac.testing.PythonCelery;
import io.celeriac.worker.WorkerRegistry;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Celeriac and real Python Celery (Debian's 5.2.6) on one RabbitMQ and one Redis: a Python client calls Java tasks
 * and waits with {@code AsyncResult.get()}; Java calls Python tasks; a Python worker on queue {@code py} and the Java
 * worker on {@code celery} share the broker; {@code celery inspect ping} sees the Java worker.
 */
@QuarkusTest
class PythonInteropTest {

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Inject
    TaskClient tasks;

    @Inject
    WorkerRegistry workers;

    @Inject
    Canvas canvas;

    private static PythonCelery python;
    private static Process pythonWorker;

    @BeforeEach
    void pythonWorkerOnQueuePy() {
        if (python == null) {
            assertTrue(PythonCelery.available(), "Python Celery is missing: scripts/test installs python3-celery and "
                    + "python3-redis");
            python = new PythonCelery(Integer.parseInt(servers.get("celeriac.broker.port")),
                    Integer.parseInt(servers.get(BrokerAndRedis.REDIS_PORT)));
            pythonWorker = python.worker("py", "py1@interop");
        }
    }

    @AfterAll
    static void stopPythonWorker() {
        if (pythonWorker != null) {
            python.stop(pythonWorker);
        }
    }

    private JsonNode call(String task, String args, String kwargs, String options) {
        return python.client("call", task, args, kwargs, options, "30");
    }

    @Test
    void aPythonClientCallsAJavaTaskAndGetsItsResult() {
        JsonNode sum = call("add", "[2, 4]", "{}", "{}");
        assertEquals(6, sum.path("result").asInt(), sum.toString());
        assertEquals("SUCCESS", sum.path("state").asText());
        JsonNode named = call("add", "[]", "{\"a\": 2, \"b\": 5}", "{}");
        assertEquals(7, named.path("result").asInt(), named.toString());
        JsonNode routed = call("add", "[1, 2]", "{}", "{\"queue\": \"celeriac-second\"}");
        assertEquals(3, routed.path("result").asInt(), "the Java worker consumes its second queue too: " + routed);
    }

    @Test
    void aFailingJavaTaskRaisesInPythonWithItsTypeAndMessage() {
        JsonNode failed = call("interop_fail", "[\"no such invoice\"]", "{}", "{}");
        assertEquals("IllegalArgumentException", failed.path("exc_type").asText(), failed.toString());
        assertEquals("no such invoice", failed.path("message").asText(), failed.toString());
        assertEquals("FAILURE", failed.path("state").asText());
        assertTrue(failed.path("traceback").asText().contains("IllegalArgumentException"), failed.toString());
    }

    @Test
    void aPythonClientSeesProgressWhileAJavaTaskRuns() {
        String id = python.client("send", "process", "[2]", "{}", "{}").path("id").asText();
        JsonNode watched = python.client("watch", id, "15");
        List<String> states = new ArrayList<>();
        watched.path("seen").forEach(s -> states.add(s.path("state").asText()));
        assertTrue(states.contains("PROGRESS"), watched.toString());
        JsonNode progress = null;
        for (JsonNode seen : watched.path("seen")) {
            if (seen.path("state").asText().equals("PROGRESS")) {
                progress = seen.path("info");
            }
        }
        assertEquals(2, progress.path("total").asInt(), watched.toString());
        assertEquals("SUCCESS", watched.path("final").path("state").asText(), watched.toString());
    }

    @Test
    void aCountdownFromPythonIsHonoured() {
        long start = System.nanoTime();
        JsonNode sum = call("add", "[1, 1]", "{}", "{\"countdown\": 3}");
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(2, sum.path("result").asInt(), sum.toString());
        assertTrue(tookMs >= 3000, "ran after " + tookMs + " ms, before its countdown of 3 s");
    }

    @Test
    void anExpiryFromPythonRevokesATaskThatCouldNotStartInTime() {
        JsonNode expired = call("add", "[1, 1]", "{}", "{\"countdown\": 2, \"expires\": 1}");
        assertEquals("TaskRevokedError", expired.path("exc_type").asText(), expired.toString());
        assertEquals("REVOKED", expired.path("state").asText());
    }

    @Test
    void aTimeLimitFromPythonStopsAJavaTask() {
        JsonNode stopped = call("interop_sleep", "[20000]", "{}", "{\"time_limit\": 1}");
        assertEquals("TimeLimitExceeded", stopped.path("exc_type").asText(), stopped.toString());
        // Celery's own class (celery.exceptions re-exports billiard's), not one made up from the name.
        assertEquals("billiard.exceptions", stopped.path("exc_module").asText(), stopped.toString());
    }

    @Test
    void javaCallsAPythonTaskAndGetsItsResultOrItsError() {
        AsyncResult<Object> product = tasks.sendTask("py.mul", List.of(6, 7), Map.of(), SendOptions.none());
        assertEquals(42, product.as(Integer.class).get(Duration.ofSeconds(30)));
        assertEquals("SUCCESS", product.state());

        AsyncResult<Object> failing = tasks.sendTask("py.fail", List.of("boom"), Map.of(), SendOptions.none());
        TaskFailedException e = org.junit.jupiter.api.Assertions.assertThrows(TaskFailedException.class,
                () -> failing.get(Duration.ofSeconds(30)));
        assertEquals("ValueError", e.excType());
        assertEquals("builtins", e.excModule());
        assertTrue(e.getMessage().contains("boom"), e.getMessage());
        assertTrue(e.traceback().contains("ValueError: boom"), e.traceback());
    }

    @Test
    void aPythonChainWhoseLastLinkIsAJavaTaskRunsAcrossBothWorkers() {
        // py.mul runs on the Python worker, which sends add(6, 4) on with "chain": [] to the Java worker.
        JsonNode chained = python.client("chain", "[[\"py.mul\", [2, 3]], [\"add\", [4]]]", "30");
        assertEquals(10, chained.path("result").asInt(), chained.toString());
    }

    @Test
    void theCanvasGuidesChainFromPythonRunsOnTheJavaWorker() {
        JsonNode chained = canvas("chain(s('add', 2, 2), s('add', 4), s('mul', 8))");
        assertEquals(64, chained.path("result").asInt(), chained.toString());
    }

    @Test
    void theCanvasGuidesChordFromPythonRunsOnTheJavaWorker() {
        JsonNode chorded = canvas("chord([s('add', i, i) for i in range(10)], s('xsum'))");
        assertEquals(90, chorded.path("result").asInt(), chorded.toString());
    }

    @Test
    void aPythonGroupOfJavaTasksReturnsTheirResultsInOrder() {
        JsonNode grouped = canvas("group(s('add', 1, 1), s('add', 2, 2), s('mul', 3, 3))");
        assertEquals("[2,4,9]", grouped.path("result").toString(), grouped.toString());
    }

    @Test
    void aPythonChainWhoseGroupBecomesAChordIsSentOnByTheJavaWorker() {
        // The Java worker finds Python's frozen celery.chord signature in the chain and starts the chord itself.
        JsonNode chained = canvas("chain(s('add', 1, 1), group(s('add', 2), s('add', 3)), s('xsum'))");
        assertEquals(9, chained.path("result").asInt(), chained.toString());
    }

    @Test
    void aPythonChainThatFailsBeforeItsChordFailsTheChordsBodyWithThatError() {
        // Python freezes the chord's members without a group id: the chord never started, so nothing is counted.
        JsonNode chained = canvas("chain(s('interop_fail', 'first link'), group(s('add', 1), s('add', 2)), "
                + "s('xsum'))");
        assertEquals("IllegalArgumentException", chained.path("exc_type").asText(), chained.toString());
        assertEquals("first link", chained.path("message").asText(), chained.toString());
        // Python raises the first failure among the parents; the body's own record holds the same error.
        TaskFailedException body = org.junit.jupiter.api.Assertions.assertThrows(TaskFailedException.class,
                () -> tasks.result(chained.path("id").asText()).get(Duration.ofSeconds(5)));
        assertEquals("IllegalArgumentException", body.excType(), body.getMessage());
    }

    @Test
    void aChainFromPythonCrossesFromJavaToPythonAndBack() {
        JsonNode chained = canvas("chain(s('add', 2, 2), s('py.mul', 10), s('add', 1))");
        assertEquals(41, chained.path("result").asInt(), chained.toString());
    }

    @Test
    void aChainFromJavaCrossesFromJavaToPythonAndBack() {
        AsyncResult<Object> last = canvas.apply(Signature.chain(Signature.of("add", 2, 2), Signature.of("py.mul", 10),
                Signature.of("add", 1)));
        assertEquals(41, last.get(Duration.ofSeconds(30)));
    }

    @Test
    void aChordFromJavaWithPythonAndJavaMembersCompletes() {
        // The Python worker counts its members the way Celery's Redis backend does; the Java worker counts its own.
        AsyncResult<Object> body = canvas.apply(Signature.chord(List.of(Signature.of("add", 1, 1),
                Signature.of("py.mul", 2, 2), Signature.of("py.mul", 3, 3), Signature.of("add", 4, 4)),
                Signature.of("xsum")));
        assertEquals(23, body.get(Duration.ofSeconds(30)));
    }

    @Test
    void aChordFromJavaOverPythonTasksRunsItsPythonBody() {
        AsyncResult<Object> body = canvas.apply(Signature.chord(List.of(Signature.of("py.mul", 2, 5),
                Signature.of("py.mul", 3, 5)), Signature.of("py.xsum")));
        assertEquals(25, body.get(Duration.ofSeconds(30)));
    }

    private JsonNode canvas(String expression) {
        return python.client("canvas", expression, "30");
    }

    @Test
    void aMixedRunSendsEveryTaskWhereItBelongsAndDeadLettersNothing() throws Exception {
        int deadBefore = deadLetters();
        long deadQueueBefore = readyIn("celery.dead");
        List<AsyncResult<Object>> fromJava = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            fromJava.add(tasks.sendTask("py.mul", List.of(i, 2), Map.of(), SendOptions.none()));
            fromJava.add(tasks.sendTask("add", List.of(i, 2), Map.of(), SendOptions.none()));
        }
        JsonNode javaFromPython = python.client("roundtrip", "add", "[2, 3]", "10");
        JsonNode pythonFromPython = python.client("roundtrip", "py.mul", "[2, 3]", "10");
        assertEquals(10, javaFromPython.path("n").asInt(), javaFromPython.toString());
        assertEquals(10, pythonFromPython.path("n").asInt(), pythonFromPython.toString());
        for (int i = 0; i < 10; i++) {
            assertEquals(i * 2, ((Number) fromJava.get(2 * i).get(Duration.ofSeconds(30))).intValue());
            assertEquals(i + 2, ((Number) fromJava.get(2 * i + 1).get(Duration.ofSeconds(30))).intValue());
        }
        assertEquals(deadBefore, deadLetters(), "no task reached a worker that does not have it");
        assertEquals(deadQueueBefore, readyIn("celery.dead"));
        assertEquals(0, readyIn("py"));
    }

    @Test
    void celeryInspectPingListsTheJavaWorkerBesidePythonOnes() {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode replies = python.client("ping", "2").path("replies");
            return replies.has(workers.name()) && replies.has("py1@interop");
        });
        JsonNode replies = python.client("ping", "2").path("replies");
        assertEquals("pong", replies.path(workers.name()).path("ok").asText(), replies.toString());
    }

    @Test
    void celeryEventsFollowTheJavaWorkerAndItsTasks() throws Exception {
        var capture = java.util.concurrent.CompletableFuture.supplyAsync(() -> python.client("events", "8"));
        // The receiver needs a moment to start: tasks go out all through the capture, and one of them is followed.
        List<String> ids = new ArrayList<>();
        while (!capture.isDone() && ids.size() < 12) {
            ids.add(tasks.delay("add", 20, 22).id());
            await().pollDelay(Duration.ofMillis(500)).until(() -> true);
        }
        Map<String, List<String>> seen = new java.util.HashMap<>();
        for (JsonNode event : capture.get(60, java.util.concurrent.TimeUnit.SECONDS).path("events")) {
            if (event.path("hostname").asText().equals(workers.name())) {
                seen.computeIfAbsent(event.path("uuid").asText("worker"), k -> new ArrayList<>())
                        .add(event.path("type").asText());
            }
        }
        assertTrue(seen.getOrDefault("worker", List.of()).contains("worker-heartbeat"), seen.toString());
        assertTrue(ids.stream().anyMatch(id -> seen.getOrDefault(id, List.of())
                .containsAll(List.of("task-received", "task-started", "task-succeeded"))), seen.toString());
    }

    private static int deadLetters() {
        return Operators.asViewer().get("/dead-letters").jsonPath().getInt("count");
    }

    private long readyIn(String queue) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(Integer.parseInt(servers.get("celeriac.broker.port")));
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            return channel.queueDeclarePassive(queue).getMessageCount();
        }
    }
}
