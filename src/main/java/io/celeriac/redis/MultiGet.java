package io.celeriac.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.inject.Singleton;

import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.ReactiveValueCommands;
import io.smallrye.mutiny.Uni;

/**
 * Many string values in one go, by key. On one Redis a single {@code MGET}. On Redis Cluster one {@code MGET} per
 * hash slot, sent together: the cluster client splits a multi-slot {@code MGET} itself but joins the replies in slot
 * order, not in the order asked, so the values would land under the wrong keys (vertx-redis-client #537).
 */
@Singleton
public class MultiGet {

    private static final int WINDOW = 64;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final RedisDataSource redis;
    private final boolean clustered;

    public MultiGet(RedisDataSource redis, RedisTopology topology) {
        this.redis = redis;
        this.clustered = topology.clustered();
    }

    /** The values of these keys that exist, by key (a missing key maps to null or is absent). */
    public Map<String, String> get(Collection<String> keys) {
        if (keys.isEmpty()) {
            return Map.of();
        }
        Set<String> distinct = new LinkedHashSet<>(keys);
        if (!clustered) {
            return redis.value(String.class).mget(distinct.toArray(String[]::new));
        }
        Map<Integer, List<String>> bySlot = new HashMap<>();
        for (String key : distinct) {
            bySlot.computeIfAbsent(HashSlot.of(key), slot -> new ArrayList<>()).add(key);
        }
        ReactiveValueCommands<String, String> values = redis.getReactive().value(String.class);
        List<List<String>> groups = new ArrayList<>(bySlot.values());
        Map<String, String> found = new HashMap<>();
        // In windows: the client's pool queues at most 256 waiting requests.
        for (int from = 0; from < groups.size(); from += WINDOW) {
            List<Uni<Map<String, String>>> reads = new ArrayList<>(WINDOW);
            for (List<String> sameSlot : groups.subList(from, Math.min(groups.size(), from + WINDOW))) {
                reads.add(values.mget(sameSlot.toArray(String[]::new)));
            }
            for (Map<String, String> part : Uni.join().all(reads).andFailFast().await().atMost(TIMEOUT)) {
                found.putAll(part);
            }
        }
        return found;
    }
}
