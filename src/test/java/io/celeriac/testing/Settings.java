package io.celeriac.testing;

import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Plain settings for the app under test, given as the resource's init args. */
public class Settings implements QuarkusTestResourceLifecycleManager {

    private Map<String, String> settings = Map.of();

    @Override
    public void init(Map<String, String> initArgs) {
        settings = Map.copyOf(initArgs);
    }

    @Override
    public Map<String, String> start() {
        return settings;
    }

    @Override
    public void stop() {
    }
}
