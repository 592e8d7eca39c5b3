package io.celeriac.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** A throwaway local PostgreSQL instance on a free port. */
public class Postgres implements QuarkusTestResourceLifecycleManager {

    /** Marks a {@code Map<String, String>} field of a test that wants this resource's settings. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.FIELD)
    public @interface Settings {
    }

    private Path dir;
    private Map<String, String> settings;

    @Override
    public Map<String, String> start() {
        dir = LocalServer.workDir("postgres");
        int port = LocalServer.freePort();
        LocalServer.run("postgres.sh", "start", dir, port);
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/celeriac";
        // The %test key too: application.properties sets %test.quarkus.datasource.jdbc.url, which would win.
        settings = Map.of(
                "quarkus.datasource.jdbc.url", url,
                "%test.quarkus.datasource.jdbc.url", url,
                "quarkus.datasource.username", "postgres",
                "quarkus.datasource.password", "postgres");
        return settings;
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(settings, new TestInjector.AnnotatedAndMatchesType(Settings.class, Map.class));
    }

    @Override
    public void stop() {
        if (dir != null) {
            LocalServer.run("postgres.sh", "stop", dir);
        }
    }
}
