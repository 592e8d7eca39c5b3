package io.celeriac.example;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.Operators;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * Every route, sent what a careless or hostile client sends: bad numbers, odd ids, huge bodies, wrong methods and
 * media types. None may answer 5xx, and none may hang (each request is bounded by a socket timeout).
 */
@QuarkusTest
class MalformedInputTest {

    private static final RestAssuredConfig BOUNDED = RestAssuredConfig.config().httpClient(HttpClientConfig
            .httpClientConfig().setParam("http.connection.timeout", 5_000).setParam("http.socket.timeout", 10_000));

    private static final List<String> ODD_IDS = List.of("x".repeat(5_000), "a b", "..", "%2e%2e%2f", "ünï©ødé",
            "id;drop", "%00", "*", "-", "a".repeat(129));

    private static final List<String> ODD_NUMBERS = List.of("", "abc", "1e3", "1.5", "-0", "0x10",
            "99999999999999999999", "NaN", " 2", "2 ", "-2147483649", "2147483648");

    private final List<String> failures = new ArrayList<>();

    /** As an admin, so the operator routes get past sign-in to the input they are sent. */
    private RequestSpecification client() {
        return Operators.asAdmin().config(BOUNDED).redirects().follow(false);
    }

    private void check(String what, Response response) {
        if (response.statusCode() >= 500) {
            failures.add(what + " -> " + response.statusCode() + " " + response.body().asString());
        }
    }

    @Test
    void oddIdsAreRefusedOrNotFoundNeverAServerError() {
        for (String id : ODD_IDS) {
            check("GET /tasks/result/" + id, client().get("/tasks/result/{id}", id));
            check("GET /groups/" + id, client().get("/groups/{id}", id));
            check("GET /dead-letters/" + id, client().get("/dead-letters/{id}", id));
            check("POST /dead-letters/" + id + "/requeue", client().post("/dead-letters/{id}/requeue", id));
            check("DELETE /dead-letters/" + id, client().delete("/dead-letters/{id}", id));
            check("POST /tasks/" + id + "/revoke", client().post("/tasks/{id}/revoke", id));
            check("POST /users/" + id + "/archive", client().post("/users/{id}/archive", id));
            check("GET /tasks/result/" + id + "/events", client().get("/tasks/result/{id}/events", id));
            check("GET /dashboard/tasks/" + id, client().get("/dashboard/tasks/{id}", id));
            check("POST /dashboard/tasks/" + id + "/retry", client().post("/dashboard/tasks/{id}/retry", id));
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void badNumbersAnswer400NamingTheField() {
        for (String number : ODD_NUMBERS) {
            check("add a=" + number, client().formParams(Map.of("a", number, "b", "1")).post("/tasks/add"));
            check("add b=" + number, client().formParams(Map.of("a", "1", "b", number)).post("/tasks/add"));
            check("process total=" + number, client().formParam("total", number).post("/tasks/process"));
            check("dead-letters limit=" + number, client().queryParam("limit", number).get("/dead-letters"));
            Response add = client().formParams(Map.of("a", number, "b", "1")).post("/tasks/add");
            if (add.statusCode() != 200 && add.statusCode() != 400) {
                failures.add("add a=" + number + " -> " + add.statusCode());
            }
        }
        check("add without fields", client().post("/tasks/add"));
        check("process without total", client().post("/tasks/process"));
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void hugeBodiesAndWrongMediaTypesAreRefused() {
        String huge = "9".repeat(3_000_000);
        check("add with a 3 MB field", client().formParams(Map.of("a", huge, "b", "1")).post("/tasks/add"));
        check("process with a 3 MB body", client().contentType("application/x-www-form-urlencoded")
                .body("total=" + huge).post("/tasks/process"));
        check("add as JSON", client().contentType("application/json").body("{\"a\": 2, \"b\": 3}")
                .post("/tasks/add"));
        check("add as XML", client().contentType("application/xml").body("<a>2</a>").post("/tasks/add"));
        check("add as broken multipart", client().contentType("multipart/form-data; boundary=x")
                .body("--x\r\nbroken".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).post("/tasks/add"));
        check("archive-all with a body", client().contentType("application/json").body("[1, 2, 3]")
                .post("/users/archive-all"));
        check("create a user with a 3 MB name", client().formParams(Map.of("name", huge, "email", "a@example.org"))
                .post("/users"));
        check("create a user as JSON", client().contentType("application/json")
                .body("{\"name\": \"a\", \"email\": \"a@example.org\"}").post("/users"));
        check("create a user without fields", client().contentType("application/x-www-form-urlencoded").body("")
                .post("/users"));
        for (String email : List.of("", "@", "a@", "@b", "a@@b", "a b@c", "x".repeat(300) + "@example.org")) {
            check("create a user with email '" + email + "'", client().formParams(Map.of("name", "n", "email",
                    email)).post("/users"));
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** The form's fields are bounded: a name or an email over its length is refused, naming the field. */
    @Test
    void aUsersFieldsOverTheirLengthAnswer400NamingTheField() {
        client().formParams(Map.of("name", "n".repeat(101), "email", "a@example.org")).post("/users").then()
                .statusCode(400).body("field", org.hamcrest.Matchers.equalTo("name"));
        client().formParams(Map.of("name", "n", "email", "e".repeat(243) + "@example.org")).post("/users").then()
                .statusCode(400).body("field", org.hamcrest.Matchers.equalTo("email"));
    }

    @Test
    void wrongMethodsAreRefused() {
        for (String path : List.of("/tasks/add", "/tasks/block", "/tasks/process", "/users/archive-all",
                "/users/1/archive")) {
            check("GET " + path, client().get(path));
            check("PUT " + path, client().put(path));
            check("DELETE " + path, client().delete(path));
        }
        for (String path : List.of("/tasks/result/abc", "/groups/abc", "/dashboard", "/workers", "/beat",
                "/dead-letters", "/users")) {
            check("PUT " + path, client().put(path));
            check("PATCH " + path, client().patch(path));
            check("DELETE " + path, client().delete(path));
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
