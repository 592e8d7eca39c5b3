package io.celeriac.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.AppProcess;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.Postgres;
import io.celeriac.testing.Settings;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * The outbox against a real crash, on the packaged jar and PostgreSQL: an api process commits a new user and its
 * archive task, and is SIGKILLed before it publishes the task (Redis is frozen, so its publish, which records PENDING
 * first, cannot finish). The worker instance (started by Quarkus) sweeps the outbox once the dead instance's claim
 * runs out: the archive is made exactly once.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(value = Postgres.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = Settings.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "celeriac.roles", value = "worker"),
        @ResourceArg(name = "celeriac.outbox.sweep-interval", value = "1s"),
        @ResourceArg(name = "celeriac.outbox.claim-lease", value = "4s"),
        @ResourceArg(name = "celeriac.task-publish-timeout", value = "1s"),
        @ResourceArg(name = "example.archive-dir", value = "target/outbox-it-archives") })
class OutboxThroughApiKillIT {

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Postgres.Settings
    Map<String, String> database;

    private final Path archives = Path.of("target", "outbox-it-archives").toAbsolutePath();

    private Connection db() throws Exception {
        return DriverManager.getConnection(database.get("quarkus.datasource.jdbc.url"),
                database.get("quarkus.datasource.username"), database.get("quarkus.datasource.password"));
    }

    /** The committed outbox row of the new user's archive task, once the api's transaction committed. */
    private String heldTaskId() throws Exception {
        try (Connection db = db(); PreparedStatement sql = db.prepareStatement("select task_id from celeriac_outbox");
                ResultSet rows = sql.executeQuery()) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    private long userId(String email) throws Exception {
        try (Connection db = db();
                PreparedStatement sql = db.prepareStatement("select id from app_user where email = ?")) {
            sql.setString(1, email);
            try (ResultSet rows = sql.executeQuery()) {
                return rows.next() ? rows.getLong(1) : -1;
            }
        }
    }

    private long archivesOf(long userId) throws Exception {
        if (!Files.isDirectory(archives)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(archives)) {
            return files.filter(f -> f.getFileName().toString().startsWith("user-" + userId + "-")).count();
        }
    }

    @Test
    void aTaskCommittedByAnApiKilledBeforeItsPublishRunsOnceWhenTheSweepFindsIt() throws Exception {
        Map<String, String> settings = new HashMap<>(servers);
        settings.putAll(database);
        settings.put("celeriac.roles", "api");
        settings.put("celeriac.outbox.claim-lease", "4s");
        settings.put("celeriac.task-publish-timeout", "1s");
        // User ids start again with each database: archives of an earlier run would count as this one's.
        if (Files.isDirectory(archives)) {
            try (Stream<Path> old = Files.list(archives)) {
                for (Path file : (Iterable<Path>) old::iterator) {
                    Files.delete(file);
                }
            }
        }
        String email = "killed-" + UUID.randomUUID().toString().substring(0, 8) + "@example.org";
        assertEquals(null, heldTaskId(), "the outbox starts empty");
        String taskId;
        try (AppProcess api = AppProcess.start("outbox-api", settings)) {
            BrokerAndRedis.freezeRedis(servers, true);
            try {
                CompletableFuture.runAsync(() -> {
                    try {
                        api.postForm("/users", "name=Killed+Midway&email=" + email);
                    } catch (Exception e) {
                        // the process is killed under it
                    }
                });
                taskId = await("the api commits the user and its held task").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(50)).until(this::heldTaskId, id -> id != null);
                assertTrue(userId(email) > 0, "the user is committed with it");
                api.kill();
            } finally {
                BrokerAndRedis.freezeRedis(servers, false);
            }
        }
        long user = userId(email);
        await("the sweep publishes the dead api's task and a worker runs it").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).until(() -> BrokerAndRedis.redisCli(servers, "GET",
                        "celery-task-meta-" + taskId).contains("\"SUCCESS\""));
        await("the outbox row is deleted once published").atMost(Duration.ofSeconds(10))
                .until(() -> heldTaskId() == null);
        // Long enough for a second copy to have run, had one gone out and found the task unfinished.
        Thread.sleep(3000);
        assertEquals(1, archivesOf(user), "the archive of user " + user + " is made exactly once");
        assertTrue(BrokerAndRedis.redisCli(servers, "GET", "celery-task-meta-" + taskId).contains("user-" + user
                + "-"), "the result names the user's archive");
    }
}
