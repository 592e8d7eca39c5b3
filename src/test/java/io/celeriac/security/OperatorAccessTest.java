package io.celeriac.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.Operators;
import io.celeriac.testing.RawMessages;
import io.quarkus.test.junit.QuarkusTest;

/** What changes the queue needs a signed-in celeriac-admin; the seed's surface needs no sign-in. */
@QuarkusTest
class OperatorAccessTest {

    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "celeriac.broker.port")
    int brokerPort;

    @Test
    void revokingATaskNeedsAnAdmin() {
        String id = given().formParams(Map.of("a", 1, "b", 2)).post("/tasks/add").then().statusCode(200).extract()
                .path("result_id");
        given().post("/tasks/{id}/revoke", id).then().statusCode(401)
                .header("WWW-Authenticate", containsString("Basic")).body("error", containsString("sign in"));
        Operators.asViewer().post("/tasks/{id}/revoke", id).then().statusCode(403)
                .body("error", containsString("celeriac-admin"));
        given().auth().preemptive().basic(Operators.ADMIN, "wrong").post("/tasks/{id}/revoke", id).then()
                .statusCode(401).body("error", containsString("sign in"));
        Operators.asAdmin().post("/tasks/{id}/revoke", "no-such-task").then().statusCode(404);
    }

    @Test
    void requeueingOrDeletingADeadLetterNeedsAnAdmin() {
        given().post("/dead-letters/{id}/requeue", "some-letter").then().statusCode(401);
        given().delete("/dead-letters/{id}", "some-letter").then().statusCode(401);
        Operators.asViewer().post("/dead-letters/{id}/requeue", "some-letter").then().statusCode(403);
        Operators.asViewer().delete("/dead-letters/{id}", "some-letter").then().statusCode(403);
        Operators.asAdmin().post("/dead-letters/{id}/requeue", "some-letter").then().statusCode(404);
        Operators.asAdmin().delete("/dead-letters/{id}", "some-letter").then().statusCode(404);
    }

    @Test
    void deadLettersShowTheirMessagesToAnAdminOnly() throws Exception {
        String id = java.util.UUID.randomUUID().toString();
        RawMessages.publish(brokerPort, "{\"id\": \"" + id + "\", \"task\": \"no_such_task_anywhere\", "
                + "\"args\": [\"secret-argument\"]}");
        String letter = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(
                () -> given().get("/dead-letters").jsonPath().getString("dead_letters.find { it.task_id == '" + id
                        + "' }.id"), l -> l != null);
        given().get("/dead-letters").then().body(org.hamcrest.Matchers.not(containsString("secret-argument")));
        given().get("/dead-letters/{id}", letter).then().statusCode(200)
                .body(org.hamcrest.Matchers.not(containsString("secret-argument")))
                .body("body_redacted", containsString("celeriac-admin"));
        Operators.asViewer().get("/dead-letters/{id}", letter).then().statusCode(200)
                .body(org.hamcrest.Matchers.not(containsString("secret-argument")));
        Operators.asAdmin().get("/dead-letters/{id}", letter).then().statusCode(200)
                .body("body", containsString("secret-argument"));
    }

    @Test
    void theSeedsSurfaceNeedsNoSignIn() {
        String id = given().formParams(Map.of("a", 2, "b", 3)).post("/tasks/add").then().statusCode(200).extract()
                .path("result_id");
        given().get("/tasks/result/{id}", id).then().statusCode(200);
        given().post("/tasks/block").then().statusCode(200);
        given().formParam("total", 1).post("/tasks/process").then().statusCode(200);
        given().post("/users/{id}/archive", 1).then().statusCode(200);
        given().get("/users").then().statusCode(200);
        given().get("/").then().statusCode(200);
    }
}
