package io.celeriac.dashboard;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import io.celeriac.client.SendOptions;
import io.celeriac.testing.Operators;
import io.quarkus.redis.datasource.RedisDataSource;
import io.celeriac.client.TaskClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Pushed progress (SSE), the dashboard's numbers, metrics and the OpenAPI document. */
@QuarkusTest
class DashboardTest {

    @TestHTTPResource("/")
    URL root;

    @Inject
    RedisDataSource redis;

    @Inject
    TaskClient tasks;

    @Inject
    TaskEvents taskEvents;

    private static String send(String path, Map<String, ?> form) {
        return given().formParams(form).post(path).then().statusCode(200).extract().path("result_id");
    }

    private URI uri(String path) {
        return URI.create(root.toString()).resolve(path);
    }

    /** One HTTP/1.1 connection per stream (no h2c upgrade, whose stream limit would cap the open streams). */
    private static HttpClient http() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** A count the dashboard shows under {@code totals}; absent until the first task reaches it. */
    private static long total(JsonPath dashboard, String name) {
        Number value = dashboard.get("totals." + name);
        return value == null ? 0 : value.longValue();
    }

    /** An open SSE stream: a daemon thread collects its data lines until the stream ends or is closed. */
    private static final class OpenStream implements AutoCloseable {

        final List<String> data = new CopyOnWriteArrayList<>();
        private final CompletableFuture<HttpResponse<InputStream>> response;

        OpenStream(HttpClient http, URI uri) {
            this(http, uri, HttpRequest.newBuilder(uri));
        }

        /** The stream of every task, for operators: opened as the tests' viewer. */
        static OpenStream ofAllTasks(HttpClient http, URI uri) {
            return new OpenStream(http, uri, HttpRequest.newBuilder(uri).header("Authorization",
                    Operators.viewerAuthorization()));
        }

        private OpenStream(HttpClient http, URI uri, HttpRequest.Builder request) {
            response = http.sendAsync(request.header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            Thread reader = new Thread(this::read, "sse-reader " + uri.getPath());
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.join().body(),
                    StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith("data:")) {
                        data.add(line.substring(5).trim());
                    }
                }
            } catch (IOException | RuntimeException e) {
                // closed by the test, or never opened: what was read stays in data
            }
        }

        /** The statuses this stream carried for one task, in order. */
        List<String> statuses(String taskId) {
            return data.stream().filter(e -> taskId.equals(field(e, "task_id"))).map(e -> field(e, "status"))
                    .toList();
        }

        /** Whether this stream carried {@code status} for any of these tasks. */
        boolean sawAny(Collection<String> taskIds, String status) {
            return data.stream().filter(e -> status.equals(field(e, "status"))).map(e -> field(e, "task_id"))
                    .filter(Objects::nonNull).anyMatch(taskIds::contains);
        }

        /** A string field of a small event such as {@code {"task_id":"…","name":"add","status":"STARTED",…}}. */
        private static String field(String event, String name) {
            String key = "\"" + name + "\":\"";
            int start = event.indexOf(key);
            if (start < 0) {
                return null;
            }
            start += key.length();
            int end = event.indexOf('"', start);
            return end < 0 ? null : event.substring(start, end);
        }

        /** Closing the body ends the connection, so the server drops the subscriber. */
        @Override
        public void close() {
            response.thenAccept(r -> {
                try {
                    r.body().close();
                } catch (IOException e) {
                    // already gone
                }
            });
        }
    }

    /** The data lines of an SSE stream, read until it ends or {@code limit} passes. */
    private List<String> events(String path, Duration limit) throws Exception {
        HttpResponse<java.io.InputStream> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(root.toString()).resolve(path)).timeout(limit).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        List<String> data = new ArrayList<>();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith("data:")) {
                    data.add(line.substring(5).trim());
                }
            }
        }
        return data;
    }

    @Test
    void aTasksEventStreamPushesItsProgressAndEndsWhenItIsReady() throws Exception {
        String id = send("/tasks/process", Map.of("total", 2));
        List<String> events = events("/tasks/result/" + id + "/events", Duration.ofSeconds(20));
        assertTrue(events.stream().anyMatch(e -> e.contains("\"state\":\"PROGRESS\"")), events.toString());
        String last = events.get(events.size() - 1);
        assertTrue(last.startsWith("{\"ready\":true,\"successful\":true"), last);
        assertTrue(last.contains("{\"current\":2,\"total\":2}"), last);
        assertEquals(events.size(), events.stream().distinct().count(), "an unchanged state was sent twice");
    }

    @Test
    void anIgnoredTasksStreamEndsWhenItHasRun() throws Exception {
        String id = send("/tasks/block", Map.of());
        List<String> events = events("/tasks/result/" + id + "/events", Duration.ofSeconds(20));
        assertTrue(events.get(0).contains("\"state\":\"IGNORED\""), events.toString());
        assertTrue(events.get(events.size() - 1).contains("\"finished\":true"), events.toString());
    }

    @Test
    void aKeptResultWhoseRecordVanishesIsNotReportedAsIgnored() throws Exception {
        String id = tasks.send("add", List.of(1, 2), Map.of(), SendOptions.none().countdown(Duration.ofSeconds(30))).id();
        // Removed once the stream has begun: too early, and the stream answers 404 and the test fails, never passes.
        Thread remover = new Thread(() -> {
            try {
                Thread.sleep(700);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            redis.key().del("celery-task-meta-" + id);
        });
        remover.start();
        List<String> events = events("/tasks/result/" + id + "/events", Duration.ofSeconds(20));
        assertTrue(events.get(0).contains("\"state\":\"PENDING\""), events.toString());
        String last = events.get(events.size() - 1);
        assertTrue(last.contains("\"state\":\"UNKNOWN\"") && last.contains("is gone"), last);
    }

    @Test
    void theEventStreamOfAnUnknownTaskIsNotFound() {
        given().get("/tasks/result/{id}/events", "nope").then().statusCode(404).body("error",
                containsString("no task with id 'nope'"));
    }

    @Test
    void theAllTasksStreamCarriesEveryStateChange() {
        try (OpenStream stream = OpenStream.ofAllTasks(http(), uri("/tasks/events"))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> taskEvents.subscribers() >= 1);
            // The instance's shared Redis subscription starts asynchronously: send until the stream carries a task.
            Set<String> warmUp = ConcurrentHashMap.newKeySet();
            await("the stream carries task events").atMost(Duration.ofSeconds(20)).pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(300)).until(() -> {
                        warmUp.add(send("/tasks/add", Map.of("a", 1, "b", 1)));
                        return stream.sawAny(warmUp, "SUCCESS");
                    });
            // Now live: a task sent from here on is seen through every state it goes through.
            String id = send("/tasks/add", Map.of("a", 40, "b", 2));
            await().atMost(Duration.ofSeconds(10)).until(() -> stream.statuses(id).contains("SUCCESS"));
            assertEquals(List.of("PENDING", "STARTED", "SUCCESS"), stream.statuses(id), stream.data.toString());
            // State changes only: what a task returned or how it failed is for whoever holds its id.
            for (String event : stream.data) {
                if (event.contains(id)) {
                    assertFalse(event.contains("\"result\"") || event.contains("traceback"), event);
                }
            }
        }
    }

    @Test
    void twoHundredOpenStreamsDoNotSlowOrBlockASend() {
        int open = 200;
        int before = taskEvents.subscribers();
        HttpClient http = http();
        List<OpenStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < open; i++) {
                streams.add(OpenStream.ofAllTasks(http, uri("/tasks/events")));
            }
            await("all streams subscribed").atMost(Duration.ofSeconds(30))
                    .until(() -> taskEvents.subscribers() >= open);
            Set<String> sent = ConcurrentHashMap.newKeySet();
            AtomicInteger notYet = new AtomicInteger(open);
            try {
                await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(300))
                        .until(() -> {
                            long started = System.nanoTime();
                            // 200, not 503: the streams hold no Redis connection a send needs.
                            sent.add(send("/tasks/add", Map.of("a", 1, "b", 2)));
                            Duration took = Duration.ofNanos(System.nanoTime() - started);
                            assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "a send took " + took);
                            notYet.set((int) streams.stream().filter(s -> !s.sawAny(sent, "SUCCESS")).count());
                            return notYet.get() == 0;
                        });
            } catch (ConditionTimeoutException e) {
                throw new AssertionError(notYet.get() + " of " + open + " streams saw none of the " + sent.size()
                        + " tasks sent succeed", e);
            }
        } finally {
            streams.forEach(OpenStream::close);
        }
        await("the closed streams are released").atMost(Duration.ofSeconds(15))
                .until(() -> taskEvents.subscribers() <= before);
    }

    @Test
    void theDashboardShowsTotalsQueuesRecentTasksAndWorkers() {
        JsonPath before = Operators.asViewer().get("/dashboard").jsonPath();
        String id = send("/tasks/add", Map.of("a", 1, "b", 1));
        // Held back by its countdown, this one waits in the delayed queue while the dashboard is read.
        String waiting = tasks.send("add", List.of(1, 2), Map.of(),
                SendOptions.none().countdown(Duration.ofSeconds(30))).id();
        JsonPath dashboard = await().atMost(Duration.ofSeconds(10))
                .until(() -> Operators.asViewer().get("/dashboard").jsonPath(),
                        d -> "SUCCESS".equals(d.getString("recent.find { it.id == '" + id + "' }.state")));
        assertTrue(total(dashboard, "sent") >= total(before, "sent") + 2, dashboard.getMap("totals").toString());
        assertTrue(total(dashboard, "SUCCESS") >= total(before, "SUCCESS") + 1,
                before.getMap("totals") + " then " + dashboard.getMap("totals"));
        assertTrue(dashboard.getInt("recent.find { it.id == '" + id + "' }.runtime_ms") >= 0);
        assertEquals("add", dashboard.getString("recent.find { it.id == '" + id + "' }.name"));
        assertEquals("PENDING", dashboard.getString("recent.find { it.id == '" + waiting + "' }.state"));

        assertTrue(dashboard.getMap("queue").containsKey("ready"), dashboard.getMap("queue").toString());
        Number delayed = dashboard.get("queue.delayed");
        assertTrue(delayed != null && delayed.longValue() >= 1, dashboard.getMap("queue").toString());

        // No beat entries in this profile: the section is there, as GET /beat reports it.
        Map<String, Object> beat = dashboard.getMap("beat");
        assertTrue(beat != null && beat.containsKey("entries") && beat.containsKey("leader"), String.valueOf(beat));
        List<Object> entries = dashboard.getList("beat.entries");
        assertTrue(entries != null, String.valueOf(beat));
        assertEquals(Operators.asViewer().get("/beat").jsonPath().getList("entries.name"),
                dashboard.getList("beat.entries.name"));
        // The charts' data: samples a second apart in this profile, and runtime percentiles per task name.
        JsonPath charted = await().atMost(Duration.ofSeconds(10)).until(() -> Operators.asViewer().get("/dashboard")
                .jsonPath(), d -> d.getList("history").size() >= 2);
        List<Long> ats = charted.getList("history.at", Long.class);
        assertTrue(ats.get(ats.size() - 1) > ats.get(0), ats.toString());
        assertTrue(charted.getInt("runtimes.find { it.name == 'add' }.count") >= 1, charted.prettify());
        assertTrue(charted.getLong("runtimes.find { it.name == 'add' }.p95_ms")
                >= charted.getLong("runtimes.find { it.name == 'add' }.p50_ms"));
        // Who reads it, so the page knows what to offer.
        assertEquals(Operators.VIEWER, dashboard.getString("operator.name"));
        assertEquals(false, dashboard.getBoolean("operator.admin"));

        await().atMost(Duration.ofSeconds(15)).until(() -> !Operators.asViewer().get("/dashboard").jsonPath()
                .getList("workers").isEmpty());
        // Still waiting, so still revocable: it will not run later.
        Operators.asAdmin().post("/tasks/{id}/revoke", waiting).then().statusCode(200);
    }

    @Test
    void metricsCountTasksPerNameForPrometheus() {
        String id = send("/tasks/add", Map.of("a", 2, "b", 2));
        await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/tasks/result/{id}", id).jsonPath()
                .getBoolean("ready"));
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("celeriac_tasks_sent_total{task=\"add\"}"), "sent counter");
        assertTrue(metrics.contains("celeriac_tasks_succeeded_total{task=\"add\"}"), "succeeded counter");
        assertTrue(metrics.contains("celeriac_tasks_runtime_seconds_bucket{task=\"add\""), "runtime histogram");
        assertTrue(metrics.contains("celeriac_queue_ready"), "queue depth gauge");
        assertTrue(metrics.contains("celeriac_result_store_keys"), "result store size gauge");
    }

    @Test
    void theApiIsDescribedByOpenApi() {
        given().get("/q/openapi").then().statusCode(200)
                .body(containsString("/tasks/add"))
                .body(containsString("/tasks/{id}/revoke"))
                .body(containsString("/dead-letters"));
    }
}
