package io.celeriac.dashboard;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** Pushed progress (SSE), the dashboard's numbers, metrics and the OpenAPI document. */
@QuarkusTest
class DashboardTest {

    @TestHTTPResource("/")
    URL root;

    private static String send(String path, Map<String, ?> form) {
        return given().formParams(form).post(path).then().statusCode(200).extract().path("result_id");
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
    void theEventStreamOfAnUnknownTaskIsNotFound() {
        given().get("/tasks/result/{id}/events", "nope").then().statusCode(404).body("error",
                containsString("no task with id 'nope'"));
    }

    @Test
    void theAllTasksStreamCarriesEveryStateChange() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpClient http = HttpClient.newHttpClient();
        CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> stream = http.sendAsync(
                HttpRequest.newBuilder(URI.create(root.toString()).resolve("/tasks/events")).build(),
                HttpResponse.BodyHandlers.ofLines());
        HttpResponse<java.util.stream.Stream<String>> response = stream.get(10, TimeUnit.SECONDS);
        Thread reader = new Thread(() -> response.body().forEach(seen::add));
        reader.setDaemon(true);
        reader.start();
        await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ofMillis(300)).until(() -> true);
        String id = send("/tasks/add", Map.of("a", 40, "b", 2));
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream()
                .anyMatch(l -> l.contains(id) && l.contains("\"status\":\"SUCCESS\"")));
        assertTrue(seen.stream().anyMatch(l -> l.contains(id) && l.contains("\"status\":\"STARTED\"")));
        response.body().close();
    }

    @Test
    void theDashboardShowsTotalsQueuesRecentTasksAndWorkers() {
        long sentBefore = given().get("/dashboard").jsonPath().getLong("totals.sent");
        String id = send("/tasks/add", Map.of("a", 1, "b", 1));
        JsonPath dashboard = await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/dashboard").jsonPath(),
                d -> "SUCCESS".equals(d.getString("recent.find { it.id == '" + id + "' }.state")));
        assertTrue(dashboard.getLong("totals.sent") >= sentBefore + 1);
        assertTrue(dashboard.getLong("totals.SUCCESS") >= 1);
        assertTrue(dashboard.getInt("recent.find { it.id == '" + id + "' }.runtime_ms") >= 0);
        assertEquals("add", dashboard.getString("recent.find { it.id == '" + id + "' }.name"));
        assertTrue(dashboard.getMap("queue").containsKey("ready"));
        assertTrue(dashboard.getLong("queue.delayed") >= 0);
        assertTrue(dashboard.getList("beat.entries") != null);
        await().atMost(Duration.ofSeconds(15)).until(() -> !given().get("/dashboard").jsonPath()
                .getList("workers").isEmpty());
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
