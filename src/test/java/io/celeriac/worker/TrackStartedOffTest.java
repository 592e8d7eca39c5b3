package io.celeriac.worker;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.client.TaskClient;
import io.celeriac.client.SendOptions;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.WireJson;
import io.celeriac.testing.CeleryDefaultsProfile;
import io.celeriac.testing.Metrics;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * With celeriac.worker.track-started=false (Celery's default) a kept result goes from PENDING to its outcome; the
 * checks before a run are made all the same.
 */
@QuarkusTest
@TestProfile(CeleryDefaultsProfile.class)
class TrackStartedOffTest {

    @Inject
    TaskClient tasks;

    @Inject
    ReliabilityTasks probe;


    private static String state(String id) {
        return given().get("/tasks/result/{id}", id).then().statusCode(200).extract().path("state");
    }

    @Test
    void aRunningTaskStaysPendingUntilItsOutcome() {
        String key = UUID.randomUUID().toString();
        String id = tasks.delay("counted_sleeper", key, 1500L).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> probe.attempts(key) == 1);
        assertEquals("PENDING", state(id), "running, but not recorded as STARTED");
        await().atMost(Duration.ofSeconds(10)).until(() -> "SUCCESS".equals(state(id)));
    }

    @Test
    void aTaskAlreadyDoneIsStillNotRunAgain() throws Exception {
        String key = UUID.randomUUID().toString();
        String id = UUID.randomUUID().toString();
        tasks.send("record", List.of(key), Map.of(), SendOptions.none().taskId(id)).get(Duration.ofSeconds(10));
        // The same message again, as a redelivery after a lost ack puts it (no new PENDING record with it): its record
        // is final, so it is skipped.
        TaskMessage again = new TaskMessage(id, "record", WireJson.MAPPER.createArrayNode().add(key),
                WireJson.MAPPER.createObjectNode(), null, 0, null, null, id, null, null, null, false, null, null,
                null, "celery", null, null);
        double skippedBefore = Metrics.skipped("record", "ready");
        tasks.enqueue(again);
        await("the second copy is delivered").atMost(Duration.ofSeconds(10))
                .until(() -> Metrics.skipped("record", "ready") > skippedBefore);
        assertEquals(1, probe.attempts(key));
        assertEquals("SUCCESS", state(id));
    }
}
