package io.celeriac.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.Operators;
import io.celeriac.testing.RawMessages;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The operator surface needs a signed-in operator: celeriac-viewer (or admin) to read it, celeriac-admin to change the
 * queue; the seed's surface needs no sign-in.
 */
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
                .statusCode(401).body("error", containsString("wrong password"));
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
                () -> Operators.asViewer().get("/dead-letters").jsonPath().getString("dead_letters.find { it.task_id"
                        + " == '" + id + "' }.id"), l -> l != null);
        Operators.asViewer().get("/dead-letters").then()
                .body(org.hamcrest.Matchers.not(containsString("secret-argument")));
        given().get("/dead-letters/{id}", letter).then().statusCode(401);
        Operators.asViewer().get("/dead-letters/{id}", letter).then().statusCode(200)
                .body(org.hamcrest.Matchers.not(containsString("secret-argument")))
                .body("body_redacted", containsString("celeriac-admin"));
        Operators.asAdmin().get("/dead-letters/{id}", letter).then().statusCode(200)
                .body("body", containsString("secret-argument"));
    }

    /** What the operator surface is: reading needs a viewer (or admin), changing needs an admin. */
    private static final Set<String> OPERATOR_READS = Set.of("GET /dashboard", "GET /tasks/events", "GET /workers",
            "GET /beat", "GET /dead-letters", "GET /dead-letters/{id}", "GET /dashboard/tasks/{id}");
    private static final Set<String> OPERATOR_CHANGES = Set.of("POST /tasks/{id}/revoke",
            "POST /dead-letters/{id}/requeue", "DELETE /dead-letters/{id}", "POST /dashboard/tasks/{id}/retry");
    /** The seed's surface (as the guide has it) and the example's workflow routes: open to every caller. */
    private static final Set<String> OPEN = Set.of("POST /tasks/add", "POST /tasks/block", "POST /tasks/process",
            "GET /tasks/result/{id}", "GET /tasks/result/{id}/events", "GET /users", "POST /users",
            "POST /users/{id}/archive",
            "POST /users/archive-all", "GET /groups/{id}");

    @TestHTTPResource("/")
    URI root;

    @Test
    void everyEndpointIsEitherOpenOrAnOperatorsOne() throws Exception {
        Set<String> classified = new TreeSet<>(OPEN);
        classified.addAll(OPERATOR_READS);
        classified.addAll(OPERATOR_CHANGES);
        assertEquals(classified, Endpoints.declared(), "a new endpoint must be added to OPEN or to the operator "
                + "surface here, and protected if it is an operator's");
    }

    @Test
    void everyOperatorEndpointRefusesStrangersAndReadsNeedAViewerChangesAnAdmin() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (String endpoint : new TreeSet<>(union(OPERATOR_READS, OPERATOR_CHANGES))) {
            boolean change = OPERATOR_CHANGES.contains(endpoint);
            expect(wrong, endpoint, null, 401);
            expect(wrong, endpoint, basic("test-admin", "wrong-password"), 401);
            expect(wrong, endpoint, basic(Operators.OUTSIDER, Operators.OUTSIDER_PASSWORD), 403);
            expect(wrong, endpoint, basic(Operators.VIEWER, Operators.VIEWER_PASSWORD), change ? 403 : 0);
            expect(wrong, endpoint, basic(Operators.ADMIN, Operators.ADMIN_PASSWORD), 0);
        }
        for (String endpoint : new TreeSet<>(OPEN)) {
            expect(wrong, endpoint, null, 0);
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    /** The path policy stands behind the annotations: an operator path is closed even where one was forgotten. */
    @Test
    void anOperatorPathWithoutAnAnnotationIsStillClosed() {
        given().get("/dashboard/unannotated-probe").then().statusCode(401).body("error", containsString("sign in"));
        Operators.asOutsider().get("/dashboard/unannotated-probe").then().statusCode(403)
                .body("error", containsString("celeriac-viewer or celeriac-admin"));
        Operators.asViewer().get("/dashboard/unannotated-probe").then().statusCode(200)
                .body(org.hamcrest.Matchers.equalTo("let in"));
    }

    /** A viewer's refusal names the role a change needs; an outsider's the roles a read needs. */
    @Test
    void refusalsSayWhichRoleIsNeeded() {
        Operators.asOutsider().get("/dashboard").then().statusCode(403)
                .body("error", containsString("celeriac-viewer or celeriac-admin"));
        Operators.asViewer().delete("/dead-letters/{id}", "x").then().statusCode(403)
                .body("error", containsString("celeriac-admin"));
    }

    /** The page signs in with its own form: its refusals must not make the browser ask for a password itself. */
    @Test
    void thePagesRequestsAreRefusedWithoutTheBrowsersPasswordDialog() {
        given().header("X-Requested-With", "celeriac-page").get("/dashboard").then().statusCode(401)
                .header("WWW-Authenticate", org.hamcrest.Matchers.nullValue());
        given().get("/dashboard").then().statusCode(401).header("WWW-Authenticate", containsString("Basic"));
    }

    /** Sends the endpoint (path parameters filled with an unknown id) and records it if the status is not expected. */
    private void expect(List<String> wrong, String endpoint, String authorization, int status) throws Exception {
        String[] verbAndPath = endpoint.split(" ", 2);
        URI uri = root.resolve(verbAndPath[1].replace("{id}", "no-such-id").substring(1));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .method(verbAndPath[0], HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        // Headers are enough: an event stream that was let in stays open, and is dropped here.
        HttpResponse<java.io.InputStream> response = HTTP.send(request.build(),
                HttpResponse.BodyHandlers.ofInputStream());
        response.body().close();
        int got = response.statusCode();
        boolean ok = status == 0 ? got != 401 && got != 403 && got < 500 : got == status;
        if (!ok) {
            wrong.add(endpoint + " as " + (authorization == null ? "nobody" : who(authorization)) + ": " + got
                    + " instead of " + (status == 0 ? "being let in" : status));
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String who(String authorization) {
        return new String(Base64.getDecoder().decode(authorization.substring(6)), StandardCharsets.UTF_8);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
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
