package io.celeriac.deploy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.AppProcess;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.Operators;
import io.celeriac.testing.Postgres;
import io.restassured.path.json.JsonPath;

/**
 * Black box, against the packaged jar in its production profile (PostgreSQL): an api-only instance (started by
 * Quarkus) and a worker-only instance (started here) as two processes sharing RabbitMQ, Redis and the database, over
 * the connector a subclass names.
 */
abstract class ApiAndWorkerContract {

    /** The {@code celeriac.connector} both processes use; the subclass gives the api instance the same. */
    abstract String connector();

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Postgres.Settings
    Map<String, String> database;

    private AppProcess startWorker() throws Exception {
        return startWorker(Map.of());
    }

    private AppProcess startWorker(Map<String, String> extra) throws Exception {
        Map<String, String> settings = new HashMap<>(servers);
        settings.putAll(database);
        settings.put("celeriac.roles", "worker");
        settings.put("celeriac.connector", connector());
        settings.put("celeriac.worker.name", "it-worker");
        settings.put("celeriac.worker.heartbeat-interval", "1s");
        settings.putAll(extra);
        return AppProcess.start("it-worker", settings);
    }

    private static String add(int a, int b) {
        return given().formParams(Map.of("a", a, "b", b)).post("/tasks/add").then().statusCode(200)
                .body("result_id", notNullValue()).extract().path("result_id");
    }

    private static JsonPath result(String id) {
        return given().get("/tasks/result/{id}", id).then().statusCode(200).extract().jsonPath();
    }

    private static JsonPath awaitReady(String id) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> result(id), r -> r.getBoolean("ready"));
    }

    private static List<String> liveWorkers() {
        return Operators.asViewer().get("/workers").then().statusCode(200).extract().jsonPath().getList("name");
    }

    /** The api here has the tests' operators (hashed, as the README says); one started without any has none. */
    @Test
    void productionStartsWithTheOperatorSurfaceOffAndSaysWhy() throws Exception {
        Operators.asViewer().get("/workers").then().statusCode(200);
        Map<String, String> settings = new HashMap<>(servers);
        settings.putAll(database);
        settings.put("celeriac.roles", "api");
        settings.put("celeriac.connector", connector());
        try (AppProcess api = AppProcess.start("it-api-without-operators", settings)) {
            var http = java.net.http.HttpClient.newHttpClient();
            for (String path : List.of("/dashboard", "/workers")) {
                HttpResponse<String> refused = http.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://localhost:" + api.port() + path))
                        .header("Authorization", Operators.viewerAuthorization()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(401, refused.statusCode(), path);
                assertTrue(refused.body().contains("no operator users are configured"), refused.body());
            }
            HttpResponse<String> sent = api.postForm("/tasks/add", "a=1&b=1");
            assertEquals(200, sent.statusCode(), sent.body());
        }
    }

    @Test
    void productionsSchemaComesFromTheMigrationsNotFromHibernate() throws Exception {
        try (var db = java.sql.DriverManager.getConnection(database.get("quarkus.datasource.jdbc.url"),
                database.get("quarkus.datasource.username"), database.get("quarkus.datasource.password"));
                var sql = db.createStatement();
                var applied = sql.executeQuery("select version, success from flyway_schema_history "
                        + "where version is not null order by installed_rank")) {
            List<String> versions = new ArrayList<>();
            while (applied.next()) {
                assertTrue(applied.getBoolean("success"), "migration " + applied.getString("version"));
                versions.add(applied.getString("version"));
            }
            // The app's own migrations, not the tools build's.
            assertEquals(List.of("1", "2"), versions, "Flyway applied the migrations");
        }
    }

    /** The benchmark's and the chaos run's hooks are in the tools build only (src/tools, -Ptools). */
    @Test
    void theProductionJarHoldsNoBenchmarkOrChaosHook() throws Exception {
        try (var jar = new java.util.jar.JarFile("target/quarkus-app/app/" + java.nio.file.Files.list(
                java.nio.file.Path.of("target/quarkus-app/app")).findFirst().orElseThrow().getFileName())) {
            List<String> hooks = jar.stream().map(java.util.zip.ZipEntry::getName)
                    .filter(n -> n.contains("Bench") || n.contains("Chaos") || n.contains("chaos")).toList();
            assertEquals(List.of(), hooks);
        }
        given().formParams(Map.of("count", 1)).post("/bench/enqueue").then().statusCode(404);
    }

    @Test
    void anApiAndASeparateWorkerRunTheSeedFlowAndQueuedTasksWaitForAWorker() throws Exception {
        List<String> arrivedWhileDraining = new ArrayList<>();
        try (AppProcess worker = startWorker()) {
            HttpResponse<String> api = worker.get("/tasks/result/anything");
            assertEquals(404, api.statusCode(), "a worker-only instance serves no application endpoint");
            assertTrue(api.body().contains("does not serve the API"), api.body());
            assertEquals(404, worker.get("/").statusCode());
            assertEquals(200, worker.get("/q/health/live").statusCode(), worker.get("/q/health/live").body());

            await().atMost(Duration.ofSeconds(15)).until(() -> liveWorkers().contains("it-worker"));
            assertEquals(8, Operators.asViewer().get("/workers").then().extract().jsonPath()
                    .getInt("find { it.name == 'it-worker' }.concurrency"));

            assertEquals(6, awaitReady(add(2, 4)).getInt("value"));
            String process = given().formParam("total", 2).post("/tasks/process").then().statusCode(200)
                    .extract().path("result_id");
            assertEquals(Map.of("current", 2, "total", 2), awaitReady(process).getMap("value"));

            // SIGTERM while a task runs: the worker lets it finish before it goes.
            String running = given().formParam("total", 3).post("/tasks/process").then().statusCode(200)
                    .extract().path("result_id");
            await().atMost(Duration.ofSeconds(10)).until(() -> "PROGRESS".equals(result(running).getString("state")));
            long stopping = System.nanoTime();
            worker.terminate();
            // Tasks that reach the worker while it drains are not run there, and do not hold up its exit.
            for (int i = 0; i < 20; i++) {
                arrivedWhileDraining.add(add(i, 1000));
            }
            worker.close();
            long stopMillis = (System.nanoTime() - stopping) / 1_000_000;
            assertTrue(stopMillis < 15_000, "the worker took " + stopMillis + " ms to stop after SIGTERM");
            JsonPath finished = result(running);
            assertEquals("SUCCESS", finished.getString("state"), "the running task finished during the shutdown");
            assertEquals(Map.of("current", 3, "total", 3), finished.getMap("value"));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !liveWorkers().contains("it-worker"));

        // The api instance consumes nothing: with the worker gone, a task waits in the queue.
        String queued = add(20, 22);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> "PENDING".equals(result(queued).getString("state")));

        try (AppProcess worker = startWorker()) {
            JsonPath done = awaitReady(queued);
            assertTrue(done.getBoolean("successful"));
            assertEquals(42, done.getInt("value"));
            for (int i = 0; i < arrivedWhileDraining.size(); i++) {
                assertEquals(i + 1000, awaitReady(arrivedWhileDraining.get(i)).getInt("value"),
                        "a task sent while the last worker drained ran on the next one");
            }
        }
    }

    @Test
    void aTaskStillRunningWhenTheGraceEndsGoesBackToTheBrokerAndNotToFailure() throws Exception {
        String running;
        try (AppProcess worker = startWorker(Map.of("celeriac.worker.shutdown-grace", "2s"))) {
            running = given().formParam("total", 6).post("/tasks/process").then().statusCode(200)
                    .extract().path("result_id");
            await().atMost(Duration.ofSeconds(15)).until(() -> "PROGRESS".equals(result(running).getString("state")));
            long stopping = System.nanoTime();
            worker.close();
            long stopMillis = (System.nanoTime() - stopping) / 1_000_000;
            assertTrue(stopMillis < 15_000, "the worker took " + stopMillis + " ms to stop after SIGTERM");
        }
        JsonPath interrupted = result(running);
        assertEquals("PROGRESS", interrupted.getString("state"),
                "interrupted by the shutdown, the task is neither failed nor finished: " + interrupted.prettify());
        try (AppProcess worker = startWorker()) {
            JsonPath done = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> result(running), r -> r.getBoolean("ready"));
            assertEquals("SUCCESS", done.getString("state"), done.prettify());
            assertEquals(Map.of("current", 6, "total", 6), done.getMap("value"), "the next worker ran it again");
        }
    }
}
