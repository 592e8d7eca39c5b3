package io.celeriac.tracing;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Every trace sampled, as with a collector configured. */
public class TracingProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("quarkus.otel.traces.sampler.arg", "1.0");
    }
}
