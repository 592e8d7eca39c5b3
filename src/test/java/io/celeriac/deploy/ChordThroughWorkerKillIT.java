package io.celeriac.deploy;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.celeriac.testing.AppProcess;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.Postgres;
import io.celeriac.testing.Settings;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.path.json.JsonPath;

/**
 * The example's chord at scale, against the packaged jar: {@code POST /users/archive-all} over 1,000 users, run by
 * two worker processes, one of them SIGKILLed mid-chord. Its messages go to the other worker (and to the one started
 * in its place); the bundle, the chord's body, runs exactly once with every member's archive.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(value = Postgres.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = Settings.class, restrictToAnnotatedClass = true,
        initArgs = @ResourceArg(name = "celeriac.roles", value = "api"))
class ChordThroughWorkerKillIT {

    private static final int USERS = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Postgres.Settings
    Map<String, String> database;

    private final Path archives = Path.of("target", "chord-it-archives").toAbsolutePath();

    private AppProcess worker(String name) throws Exception {
        Map<String, String> settings = new HashMap<>(servers);
        settings.putAll(database);
        settings.put("celeriac.roles", "worker");
        settings.put("celeriac.worker.name", name);
        settings.put("example.archive-dir", archives.toString());
        return AppProcess.start(name, settings);
    }

    @Test
    void aThousandMemberChordSurvivesAWorkerKillAndItsBodyRunsOnce() throws Exception {
        addUsers();
        deleteBundles();
        try (AppProcess killed = worker("chord-worker-1"); AppProcess survivor = worker("chord-worker-2")) {
            // First undisturbed, for the figure: from the send to the body's result.
            long calm = System.nanoTime();
            String calmBundle = JSON.readTree(given().post("/users/archive-all").then().statusCode(200).extract()
                    .asString()).path("result_id").asText();
            JsonPath calmDone = await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                    .until(() -> given().get("/tasks/result/{id}", calmBundle).then().statusCode(200).extract()
                            .jsonPath(), r -> r.getBoolean("ready"));
            assertTrue(calmDone.getBoolean("successful"), calmDone.prettify());
            System.out.printf("chord of %d members on two workers: body result %d ms after the send%n",
                    calmDone.getInt("value.archives"), (System.nanoTime() - calm) / 1_000_000);
            deleteBundles();

            // Watched from the chord's own count in Redis, from before the send: two workers get through a thousand
            // archives in seconds, some of them while the request is still sending.
            CompletableFuture<Long> killedAt = CompletableFuture.supplyAsync(() -> killAfter(100, killed));
            long sent = System.nanoTime();
            String answer = given().post("/users/archive-all").then().statusCode(200).extract().asString();
            System.out.printf("POST /users/archive-all answered after %d ms%n", (System.nanoTime() - sent) / 1_000_000);
            String bundle = JSON.readTree(answer).path("result_id").asText();
            String group = JSON.readTree(answer).path("group_id").asText();
            long atKill = killedAt.get(90, TimeUnit.SECONDS);
            try (AppProcess replacement = worker("chord-worker-3")) {
                JsonPath done = await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
                        .until(() -> given().get("/tasks/result/{id}", bundle).then().statusCode(200).extract()
                                .jsonPath(), r -> r.getBoolean("ready"));
                long tookMs = (System.nanoTime() - sent) / 1_000_000;
                System.out.printf("chord of %d members, one worker SIGKILLed at %d done: body result after %d ms%n",
                        progress(group).getInt("size"), atKill, tookMs);
                assertTrue(done.getBoolean("successful"), done.prettify());
                JsonPath members = progress(group);
                assertTrue(members.getInt("size") >= USERS, members.prettify());
                assertEquals(members.getInt("size"), members.getInt("completed"));
                assertEquals(members.getInt("size"), done.getInt("value.archives"), "every member's archive is in");
                assertTrue(atKill < members.getInt("size"), "the kill came mid-chord (" + atKill + " done)");
                // One bundle, and still one two seconds on: a second run of the body would leave a second.
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> bundles() == 1);
            }
        }
    }

    private long killAfter(long members, AppProcess worker) {
        try {
            long counted;
            while ((counted = counted()) < members) {
                Thread.sleep(2);
            }
            worker.kill();
            return counted;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Members counted into the running chord so far: the size of its .j key (the only chord this test runs). */
    private long counted() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(servers.get(BrokerAndRedis.REDIS_PORT)))) {
            var out = socket.getOutputStream();
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out.write("KEYS celery-taskset-meta-*.j\r\n".getBytes(StandardCharsets.US_ASCII));
            int found = Integer.parseInt(in.readLine().substring(1));
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < found; i++) {
                in.readLine();
                keys.add(in.readLine());
            }
            long counted = 0;
            for (String key : keys) {
                out.write(("ZCARD " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
                counted = Math.max(counted, Long.parseLong(in.readLine().substring(1)));
            }
            return counted;
        }
    }

    private static JsonPath progress(String group) {
        return given().get("/groups/{id}", group).then().statusCode(200).extract().jsonPath();
    }

    private void deleteBundles() throws Exception {
        if (Files.isDirectory(archives)) {
            try (Stream<Path> files = Files.list(archives)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    private long bundles() throws Exception {
        if (!Files.isDirectory(archives)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(archives)) {
            return files.filter(f -> f.getFileName().toString().startsWith("all-users-")).count();
        }
    }

    private void addUsers() throws Exception {
        try (Connection db = DriverManager.getConnection(database.get("quarkus.datasource.jdbc.url"),
                database.get("quarkus.datasource.username"), database.get("quarkus.datasource.password"));
                Statement sql = db.createStatement()) {
            sql.executeUpdate("insert into app_user (id, name, email) select 1000000 + n, 'user ' || n, "
                    + "'user' || n || '@example.org' from generate_series(1, " + USERS + ") as n "
                    + "on conflict (id) do nothing");
        }
    }
}
