package io.celeriac.testing;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Carries tasks over AMQP 1.0 (SmallRye's AMQP connector) instead of AMQP 0-9-1. */
public class Amqp10Profile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        // Over AMQP 1.0 a worker consumes one queue.
        return Map.of("celeriac.connector", "smallrye-amqp", "celeriac.worker.queues", "celery");
    }
}
