package io.celeriac.testing;

import java.util.List;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** The database of production: PostgreSQL (db-kind is fixed at build time, so this profile re-augments the app). */
public class PostgresProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("%test.quarkus.datasource.db-kind", "postgresql", "quarkus.datasource.db-kind", "postgresql");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(Postgres.class));
    }
}
