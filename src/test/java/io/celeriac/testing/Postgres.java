package io.celeriac.testing;

import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** A throwaway local PostgreSQL instance on a free port. */
public class Postgres implements QuarkusTestResourceLifecycleManager {

    private Path dir;

    @Override
    public Map<String, String> start() {
        dir = LocalServer.workDir("postgres");
        int port = LocalServer.freePort();
        LocalServer.run("postgres.sh", "start", dir, port);
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/celeriac";
        // The %test key too: application.properties sets %test.quarkus.datasource.jdbc.url, which would win.
        return Map.of(
                "quarkus.datasource.jdbc.url", url,
                "%test.quarkus.datasource.jdbc.url", url,
                "quarkus.datasource.username", "postgres",
                "quarkus.datasource.password", "postgres");
    }

    @Override
    public void stop() {
        if (dir != null) {
            LocalServer.run("postgres.sh", "stop", dir);
        }
    }
}
