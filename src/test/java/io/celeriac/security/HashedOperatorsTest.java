package io.celeriac.security;

import static io.restassured.RestAssured.given;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.Operators;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** An operator configured as the README says for production: a hashed password, not plain text. */
@QuarkusTest
@TestProfile(HashedOperatorsTest.Hashed.class)
class HashedOperatorsTest {

    public static class Hashed implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // The tests' own users get hashes too: with plain-text off, every password must be one.
            return Map.of("quarkus.security.users.embedded.plain-text", "false",
                    "quarkus.security.users.embedded.users.ops", Operators.hash("ops", "s3cret"),
                    "quarkus.security.users.embedded.roles.ops", "celeriac-admin",
                    "quarkus.security.users.embedded.users.test-admin", Operators.hash("test-admin", "unused"),
                    "quarkus.security.users.embedded.users.test-viewer", Operators.hash("test-viewer", "unused"),
                    "quarkus.security.users.embedded.users.test-outsider", Operators.hash("test-outsider", "unused"));
        }
    }

    @Test
    void anOperatorWithAHashedPasswordSignsIn() {
        given().auth().preemptive().basic("ops", "s3cret").post("/tasks/{id}/revoke", "no-such-task").then()
                .statusCode(404);
        given().auth().preemptive().basic("ops", "wrong").post("/tasks/{id}/revoke", "no-such-task").then()
                .statusCode(401);
    }
}
