package io.celeriac.worker;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.client.TaskClient;
import io.celeriac.result.ResultStore;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.reactive.messaging.ChannelRegistry;

/** A consumer that stays up but takes nothing (celery's silent stall) fails liveness, and recovers with it. */
@QuarkusTest
@TestProfile(StuckWorkerTest.PausedConsumer.class)
class StuckWorkerTest {

    public static class PausedConsumer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "mp.messaging.incoming.celeriac-receive.pausable", "true",
                    "mp.messaging.incoming.celeriac-receive.initially-paused", "true",
                    "celeriac.worker.stuck-after", "1s");
        }
    }

    @Inject
    TaskClient tasks;

    @Inject
    ResultStore results;

    @Inject
    ChannelRegistry channels;

    @Test
    void livenessFailsWhileTasksWaitAndNothingArrivesThenRecovers() {
        given().get("/q/health/live").then().statusCode(200);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(tasks.delay("add", i, 1).id());
        }
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(300))
                .until(() -> given().get("/q/health/live").statusCode() == 503);

        channels.getPausable(Worker.CHANNEL).resume();
        await().atMost(Duration.ofSeconds(20)).until(() -> ids.stream()
                .allMatch(id -> results.get(id).map(r -> r.successful()).orElse(false)));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300))
                .until(() -> given().get("/q/health/live").statusCode() == 200);
        assertTrue(results.get(ids.get(19)).orElseThrow().result().asInt() == 20);
    }
}
