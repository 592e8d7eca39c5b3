package io.celeriac.worker;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.celeriac.client.TaskClient;
import io.celeriac.testing.Operators;
import io.celeriac.testing.RawMessages;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** With celeriac.security.signing-key set, a worker runs signed messages and dead-letters the rest. */
@QuarkusTest
@TestProfile(SigningProfile.class)
class SigningTest {

    @Inject
    TaskClient tasks;

    @Inject
    ReliabilityTasks probe;

    @ConfigProperty(name = "celeriac.broker.port")
    int brokerPort;

    @Test
    void messagesSentWithTheKeyRun() {
        assertEquals(5, (Integer) tasks.delay("add", 2, 3).get(Duration.ofSeconds(10)));
    }

    @Test
    void unsignedAndForgedMessagesAreDeadLetteredNotRun() throws Exception {
        String key = UUID.randomUUID().toString();
        String unsigned = UUID.randomUUID().toString();
        String forged = UUID.randomUUID().toString();
        RawMessages.publish(brokerPort,
                "{\"id\": \"" + unsigned + "\", \"task\": \"record\", \"args\": [\"" + key + "\"]}",
                "{\"id\": \"" + forged + "\", \"task\": \"record\", \"args\": [\"" + key + "\"], "
                        + "\"celeriac_signature\": \"bm90IGEgc2lnbmF0dXJlIG9mIHRoaXMgY2FsbA==\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> reasons().containsKey(unsigned)
                && reasons().containsKey(forged));
        assertTrue(reasons().get(unsigned).startsWith("unsigned"), reasons().toString());
        assertTrue(reasons().get(forged).startsWith("forged"), reasons().toString());
        assertEquals(0, probe.attempts(key), "neither ran");
        assertEquals(404, given().get("/tasks/result/{id}", forged).statusCode(),
                "no record under an id a forged message names");
    }

    private static Map<String, String> reasons() {
        List<Map<String, String>> letters = Operators.asViewer().get("/dead-letters?limit=100").jsonPath()
                .getList("dead_letters");
        Map<String, String> byId = new java.util.HashMap<>();
        letters.forEach(l -> byId.put(l.get("task_id"), l.get("reason")));
        return byId;
    }
}
