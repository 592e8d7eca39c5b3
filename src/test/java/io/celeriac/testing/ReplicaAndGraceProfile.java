package io.celeriac.testing;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Outcomes acknowledged only once a Redis replica has them ({@code celeriac.result-replicas=1}, a short WAIT), and a
 * long shutdown grace. One profile for the tests that need either, so they share one start of the app.
 */
public class ReplicaAndGraceProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("celeriac.result-replicas", "1", "celeriac.result-replicas-timeout", "200ms",
                "celeriac.worker.shutdown-grace", "15s");
    }
}
