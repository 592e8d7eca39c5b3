package io.celeriac.outbox;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.client.TaskClient;
import io.celeriac.testing.CeleryDefaultsProfile;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * With celeriac.outbox.enabled=false a send inside a transaction goes out at once, as one outside does (and no outbox
 * table is even created), so a rollback does not take it back.
 */
@QuarkusTest
@TestProfile(CeleryDefaultsProfile.class)
class OutboxOffTest {

    @Inject
    TaskClient tasks;

    @Test
    void aSendInsideATransactionIsPublishedAtOnceAndStaysSentAfterARollback() throws Exception {
        QuarkusTransaction.begin();
        String id;
        try {
            id = tasks.delay("record", UUID.randomUUID().toString()).id();
            assertEquals(200, given().get("/tasks/result/{id}", id).statusCode(), "recorded before the commit");
        } finally {
            QuarkusTransaction.rollback();
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15))
                .until(() -> "SUCCESS".equals(given().get("/tasks/result/{id}", id).jsonPath().getString("state")));
    }
}
