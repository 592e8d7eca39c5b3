package io.celeriac.queue;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.LocalServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * The app on the broker's AMQPS listener and on Redis's TLS port only, each certificate from a CA the app is told to
 * trust, as a deployment that reaches its servers over TLS: celeriac.broker.tls, and rediss:// with Quarkus's TLS
 * registry.
 */
@QuarkusTest
@TestProfile(TlsTest.OverTls.class)
class TlsTest {

    public static class OverTls implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("celeriac.broker.host", "localhost",
                    "celeriac.broker.port", "${" + BrokerAndRedis.RABBITMQ_TLS_PORT + "}",
                    "celeriac.broker.tls", "true",
                    "celeriac.broker.trust-store", "${" + BrokerAndRedis.RABBITMQ_TRUST_STORE + "}",
                    "celeriac.broker.trust-store-password", "celeriac",
                    "quarkus.redis.hosts", "rediss://localhost:${" + BrokerAndRedis.REDIS_TLS_PORT + "}",
                    "quarkus.redis.tls-configuration-name", "redis-ca",
                    "quarkus.tls.redis-ca.trust-store.p12.path", "${" + BrokerAndRedis.REDIS_TRUST_STORE + "}",
                    "quarkus.tls.redis-ca.trust-store.p12.password", "celeriac",
                    "quarkus.tls.redis-ca.hostname-verification-algorithm", "HTTPS");
        }
    }

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Test
    void tasksAreSentRunAndStoredOverTlsAndEveryBrokerConnectionIsEncrypted() throws Exception {
        String id = given().formParams(Map.of("a", 20, "b", 22)).post("/tasks/add").then().statusCode(200).extract()
                .path("result_id");
        await().atMost(Duration.ofSeconds(15)).until(() -> given().get("/tasks/result/{id}", id).jsonPath()
                .getBoolean("ready"));
        assertEquals(42, given().get("/tasks/result/{id}", id).jsonPath().getInt("value"));

        // The app knows only Redis's TLS port, so the result above came over TLS; the broker is asked for its side.
        List<String> connections = connections();
        assertFalse(connections.isEmpty(), "the app holds broker connections");
        for (String connection : connections) {
            assertTrue(connection.startsWith("true"), "a connection without TLS: " + connection + "\nof "
                    + connections);
        }
    }

    /** One line per broker connection: whether it is TLS, then its client's properties. */
    private List<String> connections() throws Exception {
        Path out = Files.createTempFile("connections", ".txt");
        LocalServer.run(ProcessBuilder.Redirect.to(out.toFile()), "rabbitmq.sh", "ctl",
                servers.get(BrokerAndRedis.RABBITMQ_DIR), "list_connections", "-q", "--no-table-headers", "ssl",
                "client_properties");
        return Files.readAllLines(out).stream().filter(l -> !l.isBlank()).toList();
    }
}
