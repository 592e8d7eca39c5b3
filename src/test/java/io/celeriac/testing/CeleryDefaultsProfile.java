package io.celeriac.testing;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * Celery's own defaults where Celeriac's differ, on servers of their own: no STARTED state (Celery's
 * task_track_started is off) and no outbox (Celery has none), so a send inside a transaction goes out at once.
 */
public class CeleryDefaultsProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("celeriac.worker.track-started", "false", "celeriac.outbox.enabled", "false");
    }
}
