package io.celeriac.schedule;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.Operators;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(BeatTest.EverySecond.class)
class BeatTest {

    public static class EverySecond implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "celeriac.beat.schedule.probe.task", "beat_probe",
                    "celeriac.beat.schedule.probe.every", "1s",
                    "celeriac.beat.schedule.slow.task", "beat_slow",
                    "celeriac.beat.schedule.slow.every", "1s",
                    "celeriac.beat.schedule.slow.skip-if-running", "true");
        }
    }

    @Inject
    BeatProbeTasks tasks;

    @Inject
    RedisDataSource redis;

    @Test
    void anEntryEverySecondRunsOncePerTickWithNoGap() {
        await().atMost(Duration.ofSeconds(20)).until(() -> tasks.probeRuns().size() >= 6);
        List<Instant> ticks = redis.key().keys(Beat.CLAIM_PREFIX + "probe-*").stream()
                .map(k -> Instant.ofEpochMilli(Long.parseLong(k.substring(k.lastIndexOf('-') + 1))))
                .sorted().toList();
        assertTrue(ticks.size() >= 6, "claimed ticks " + ticks);
        for (int i = 1; i < ticks.size(); i++) {
            assertEquals(1000, Duration.between(ticks.get(i - 1), ticks.get(i)).toMillis(),
                    "consecutive ticks " + ticks.get(i - 1) + " and " + ticks.get(i));
        }
        List<String> expected = ticks.stream().map(t -> Beat.taskId("probe", t)).toList();
        await().atMost(Duration.ofSeconds(5)).until(() -> tasks.probeRuns().containsAll(expected));
        assertEquals(tasks.probeRuns().size(), new HashSet<>(tasks.probeRuns()).size(), "a tick ran twice");
    }

    @Test
    void anEntryThatSkipsWhileRunningNeverOverlapsItself() {
        await().atMost(Duration.ofSeconds(20)).until(() -> tasks.slowRuns() >= 3);
        assertFalse(tasks.slowOverlapped(), "two runs of the slow entry ran at once");
    }

    @Test
    void beatListsItsEntriesAndTheLeader() {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Operators.asViewer().get("/beat").jsonPath().get("leader") != null);
        Operators.asViewer().get("/beat").then().statusCode(200)
                .body("leader", equalTo(ProcessHandle.current().pid() + "@" + io.celeriac.config.Node.hostname()))
                .body("entries.find { it.name == 'probe' }.task", equalTo("beat_probe"))
                .body("entries.find { it.name == 'probe' }.schedule", equalTo("every 1s"))
                .body("entries.find { it.name == 'probe' }.next_run", notNullValue())
                .body("entries.find { it.name == 'slow' }.skip_if_running", equalTo(true));
        await().atMost(Duration.ofSeconds(5)).until(() -> Operators.asViewer().get("/beat").jsonPath()
                .getString("entries.find { it.name == 'probe' }.last_run") != null);
    }
}
