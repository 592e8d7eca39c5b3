package io.celeriac.worker;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Messages signed with a key, and only signed ones run. */
public class SigningProfile implements QuarkusTestProfile {

    static final String KEY = "test-signing-key-0123456789";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("celeriac.security.signing-key", KEY);
    }
}
