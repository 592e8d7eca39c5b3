package io.celeriac.example;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.client.SendOptions;
import io.celeriac.client.TaskClient;
import io.celeriac.message.TaskArgumentException;
import io.celeriac.task.UnknownTaskException;
import io.quarkus.redis.datasource.RedisDataSource;
import io.celeriac.testing.RawMessages;
import io.restassured.path.json.JsonPath;

/**
 * The Flask guide's flow, end to end through HTTP, a real broker, real workers, Redis and a database. Run once per
 * connector by the subclasses.
 */
abstract class SeedFlowContract {

    private static final String SENT = "celeriac_tasks_sent_total";

    @Inject
    TaskClient tasks;

    @Inject
    RedisDataSource redis;

    @ConfigProperty(name = "celeriac.broker.port")
    int brokerPort;

    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "celeriac.worker.concurrency")
    int concurrency;

    @Test
    void noMoreTasksRunAtOnceThanTheWorkersConcurrencyWhateverTheBacklog() {
        ConcurrencyTasks.MOST.set(0);
        List<io.celeriac.client.AsyncResult<Integer>> sent = java.util.stream.IntStream.range(0, 3 * concurrency)
                .mapToObj(i -> tasks.<Integer> delay("overlap_probe", 200L)).toList();
        for (var probe : sent) {
            probe.get(java.time.Duration.ofSeconds(30));
        }
        assertEquals(concurrency, ConcurrencyTasks.MOST.get(), "celeriac.worker.concurrency=" + concurrency
                + " bounds the tasks running at once, and all of them are used");
    }

    static JsonPath result(String id) {
        return given().get("/tasks/result/{id}", id).then().statusCode(200).extract().jsonPath();
    }

    static JsonPath awaitReady(String id) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> result(id), r -> r.getBoolean("ready"));
    }

    static String post(String path, Map<String, ?> form) {
        return given().formParams(form).post(path).then().statusCode(200)
                .body("result_id", notNullValue()).extract().path("result_id");
    }

    @Test
    void addReturnsTheSum() {
        JsonPath done = awaitReady(post("/tasks/add", Map.of("a", 2, "b", 4)));
        assertTrue(done.getBoolean("successful"));
        assertEquals(6, done.getInt("value"));
        assertEquals("SUCCESS", done.getString("state"));
    }

    @Test
    void resultIdIsKnownAsPendingBeforeAnyWorkerHasTheTask() {
        // Held back by a countdown, no worker can have touched it yet: the record exists because sending wrote it.
        String id = tasks.send("process", List.of(1), Map.of(), SendOptions.none().countdown(Duration.ofSeconds(3))).id();
        JsonPath first = result(id);
        assertEquals("PENDING", first.getString("state"), first.prettify());
        assertEquals(false, first.getBoolean("ready"));
        assertTrue(awaitReady(id).getBoolean("successful"));
    }

    @Test
    void processReportsProgressThenSucceeds() {
        String id = post("/tasks/process", Map.of("total", 3));
        List<String> seen = new ArrayList<>();
        JsonPath progress = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> result(id), r -> {
                    seen.add(r.getString("state"));
                    return "PROGRESS".equals(r.getString("state"));
                });
        assertEquals(3, progress.getInt("value.total"));
        assertTrue(progress.getInt("value.current") >= 1);
        assertEquals(false, progress.getBoolean("ready"));
        assertEquals(null, (Object) progress.get("successful"));

        JsonPath done = awaitReady(id);
        assertTrue(done.getBoolean("successful"));
        assertEquals(Map.of("current", 3, "total", 3), done.getMap("value"));
    }

    @Test
    void blockIsReportedAsIgnoredAndLeavesNothingBehind() {
        String id = post("/tasks/block", Map.of());
        JsonPath queued = result(id);
        assertEquals("IGNORED", queued.getString("state"));
        assertTrue(queued.getBoolean("ignored"));
        assertEquals(false, queued.getBoolean("ready"));
        // Once it has run (5 s), its record is gone rather than an eternal PENDING.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> given().get("/tasks/result/{id}", id).statusCode() == 404);
        assertEquals(0, redis.key().exists("celery-task-meta-" + id) ? 1 : 0);
    }

    @Test
    void archiveLoadsTheUserInsideTheWorkerAndWritesAZip() throws Exception {
        JsonPath done = awaitReady(given().post("/users/{id}/archive", 1).then().statusCode(200)
                .extract().path("result_id"));
        assertTrue(done.getBoolean("successful"), done.prettify());
        Path zip = Path.of(done.getString("value.path"));
        assertEquals(Files.size(zip), done.getLong("value.size"));
        String userJson = null;
        try (InputStream in = Files.newInputStream(zip); ZipInputStream entries = new ZipInputStream(in)) {
            for (ZipEntry e = entries.getNextEntry(); e != null; e = entries.getNextEntry()) {
                if (e.getName().equals("user.json")) {
                    userJson = new String(entries.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
        }
        assertTrue(userJson != null && userJson.contains("Ada Lovelace"), String.valueOf(userJson));
    }

    @Test
    void aFailingTaskEndsAsFailureWithTheErrorAndTheWorkerGoesOn() {
        JsonPath failed = awaitReady(given().post("/users/{id}/archive", 999).then().statusCode(200)
                .extract().path("result_id"));
        assertEquals(false, failed.getBoolean("successful"));
        assertEquals("FAILURE", failed.getString("state"));
        assertEquals("IllegalArgumentException", failed.getString("value.exc_type"));
        assertEquals("no user with id 999", failed.getString("value.exc_message[0]"));

        assertEquals(7, awaitReady(post("/tasks/add", Map.of("a", 3, "b", 4))).getInt("value"));
    }

    @Test
    void theBenchmarkHookIsOffUnlessEnabled() {
        given().formParams(Map.of("count", 10)).post("/bench/enqueue").then().statusCode(404);
    }

    @Test
    void anUnknownIdIsNotFound() {
        given().get("/tasks/result/{id}", "00000000-0000-0000-0000-000000000000").then().statusCode(404)
                .body("error", containsString("no task with id"));
    }

    @Test
    void badInputIsRejectedNamingTheFieldAndSendsNoTask() {
        record Case(String path, Map<String, String> form, String field) {
        }
        List<Case> cases = List.of(
                new Case("/tasks/add", Map.of("b", "4"), "a"),
                new Case("/tasks/add", Map.of("a", "two", "b", "4"), "a"),
                new Case("/tasks/add", Map.of("a", "2"), "b"),
                new Case("/tasks/add", Map.of("a", "2", "b", "99999999999"), "b"),
                new Case("/tasks/process", Map.of(), "total"),
                new Case("/tasks/process", Map.of("total", "0"), "total"),
                new Case("/tasks/process", Map.of("total", "1.5"), "total"),
                new Case("/tasks/process", Map.of("total", "1000000000"), "total"));
        for (Case c : cases) {
            double before = tasksSent();
            given().formParams(c.form()).post(c.path()).then().statusCode(400)
                    .body("field", equalTo(c.field()))
                    .body("error", containsString("'" + c.field() + "'"));
            assertEquals(before, tasksSent(), "a rejected request must not send a task: " + c);
        }
        double before = tasksSent();
        given().post("/users/{id}/archive", "abc").then().statusCode(400).body("field", equalTo("id"));
        assertEquals(before, tasksSent(), "a rejected archive request must not send a task");
        // The counter does count this process's sends: a good request right after moves it.
        awaitReady(post("/tasks/add", Map.of("a", 2, "b", 4)));
        assertEquals(before + 1, tasksSent(), "one accepted request, one task sent");
    }

    @Test
    void argumentsThatCannotTravelAsJsonFailAtSendTime() {
        User user = new User();
        user.name = "Ada";
        user.email = "ada@example.org";
        TaskArgumentException entity = assertThrows(TaskArgumentException.class,
                () -> tasks.delay("generate_user_archive", user));
        assertTrue(entity.getMessage().contains("JPA entity (User): pass its id"), entity.getMessage());

        Runnable lambda = () -> {
        };
        assertThrows(TaskArgumentException.class, () -> tasks.delay("add", lambda, 1));
        assertThrows(UnknownTaskException.class, () -> tasks.delay("no_such_task"));
    }

    @Test
    void argumentsThatDoNotFitTheTaskFailAtSendTimeAndNothingIsSent() {
        TaskArgumentException wrongType = assertThrows(TaskArgumentException.class, () -> tasks.delay("add", "two", 2));
        assertTrue(wrongType.getMessage().contains("argument 'a' of task 'add' expects int"), wrongType.getMessage());
        TaskArgumentException tooMany = assertThrows(TaskArgumentException.class, () -> tasks.delay("add", 1, 2, 3));
        assertTrue(tooMany.getMessage().contains("task 'add' takes 2 arguments (a, b), got 3"), tooMany.getMessage());
    }

    @Test
    void argumentsOfTheWrongTypeFromAnotherSenderFailTheTaskWithAClearMessage() throws Exception {
        RawMessages.publish(brokerPort, "{\"id\": \"raw-two\", \"task\": \"add\", \"args\": [\"two\", 2]}");
        JsonPath failed = awaitReady("raw-two");
        assertEquals(false, failed.getBoolean("successful"));
        assertTrue(failed.getString("value.exc_message[0]").contains("argument 'a' of task 'add' expects int"),
                failed.prettify());
    }

    @Test
    void malformedMessagesOnTheQueueDoNotStopTheWorker() throws Exception {
        AMQP.BasicProperties json = new AMQP.BasicProperties.Builder().contentType("application/json")
                .deliveryMode(2).build();
        // Not JSON, a protocol v1 body, no 'task' header, a body that is not [args, kwargs, embed], no properties.
        RawMessages.publishRaw(brokerPort, json, "this is not json".getBytes(StandardCharsets.UTF_8),
                "{\"id\": \"raw-v1\", \"task\": \"add\", \"args\": [1, 2]}".getBytes(StandardCharsets.UTF_8));
        RawMessages.publishRaw(brokerPort, null, new byte[] { (byte) 0xff, 0x00, 0x13 });
        RawMessages.publish(brokerPort, "{\"id\": \"raw-unknown\", \"task\": \"no_such_task\", \"args\": []}",
                "{\"id\": \"raw-bad-args\", \"task\": \"add\", \"args\": \"1, 2\"}");
        // A task sent after the garbage still runs: the consumer survived all of it.
        assertEquals(12, awaitReady(post("/tasks/add", Map.of("a", 5, "b", 7))).getInt("value"));
        JsonPath unknown = awaitReady("raw-unknown");
        assertEquals("FAILURE", unknown.getString("state"));
        assertEquals("NotRegistered", unknown.getString("value.exc_type"), "Celery's own error for it");
        assertEquals("no_such_task", unknown.getString("value.exc_message[0]"));
    }

    /** Tasks this process has sent, all task names together, as its Prometheus counter reads. */
    private static double tasksSent() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        double sent = 0;
        for (String line : metrics.split("\n")) {
            // celeriac_tasks_sent_total{task="add"} 3.0, perhaps followed by a timestamp
            if (!line.startsWith(SENT)) {
                continue;
            }
            String rest = line.substring(SENT.length());
            if (rest.startsWith("{")) {
                rest = rest.substring(rest.indexOf('}') + 1);
            } else if (!rest.startsWith(" ")) {
                continue;
            }
            sent += Double.parseDouble(rest.trim().split("\\s+")[0]);
        }
        return sent;
    }
}
