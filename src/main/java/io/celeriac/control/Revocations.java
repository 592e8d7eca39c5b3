package io.celeriac.control;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import jakarta.inject.Singleton;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.redis.MultiGet;
import io.celeriac.result.ResultStore;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.redis.datasource.value.ValueCommands;

/**
 * Revoked task ids, durable in Redis (Celery keeps them in worker memory and loses them on restart, #1007): a
 * revoked task does not start, and a running one is interrupted by its worker.
 */
@Singleton
public class Revocations {

    static final String WHAT = "revoked";

    private final ValueCommands<String, String> values;
    private final ResultStore results;
    private final CeleriacConfig config;
    private final MultiGet multiGet;

    public Revocations(RedisDataSource redis, ResultStore results, CeleriacConfig config, MultiGet multiGet) {
        this.values = redis.value(String.class);
        this.results = results;
        this.config = config;
        this.multiGet = multiGet;
    }

    /** Revokes a task; its record becomes REVOKED unless it has already finished. */
    public void revoke(String taskId, String name, String reason) {
        values.set(key(taskId), reason, new SetArgs().px(config.resultExpires().toMillis()));
        results.revoked(taskId, name, reason);
    }

    public boolean isRevoked(String taskId) {
        return values.get(key(taskId)) != null;
    }

    /**
     * The key that marks a task revoked: present means revoked. Beside its record ({@code celeriac-revoked-<id>}, on
     * Redis Cluster in the record's slot), as the worker's check-in reads both.
     */
    public String key(String taskId) {
        return results.keyOf(taskId, WHAT);
    }

    /** Which of these ids are revoked, in one round trip. */
    public List<String> revoked(Collection<String> taskIds) {
        if (taskIds.isEmpty()) {
            return List.of();
        }
        List<String> ids = List.copyOf(taskIds);
        Map<String, String> found = multiGet.get(ids.stream().map(this::key).toList());
        return ids.stream().filter(id -> found.get(key(id)) != null).toList();
    }
}
