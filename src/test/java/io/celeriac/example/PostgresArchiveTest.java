package io.celeriac.example;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.PostgresProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

/** The archive task on PostgreSQL, the production database, instead of the embedded H2. */
@QuarkusTest
@TestProfile(PostgresProfile.class)
class PostgresArchiveTest {

    @Test
    void archiveRunsInAPostgresTransaction() throws Exception {
        String id = given().post("/users/{id}/archive", 2).then().statusCode(200).extract().path("result_id");
        JsonPath done = SeedFlowContract.awaitReady(id);
        assertTrue(done.getBoolean("successful"), done.prettify());
        assertEquals(2, done.getInt("value.userId"));
        assertTrue(Files.size(Path.of(done.getString("value.path"))) > 0);

        String missing = given().post("/users/{id}/archive", 4242).then().statusCode(200).extract().path("result_id");
        assertEquals("no user with id 4242", SeedFlowContract.awaitReady(missing).getString("value.exc_message[0]"));
    }
}
