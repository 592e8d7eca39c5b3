package io.celeriac.result;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.redis.MultiGet;
import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.WireJson;
import io.celeriac.redis.LuaScript;
import io.quarkus.redis.datasource.RedisDataSource;

/**
 * Which tasks make up a group, saved the way Celery's {@code GroupResult.save()} saves it, so a group sent from
 * either side can be restored by the other: {@code celery-taskset-meta-<id>} holds
 * {@code {"result": [[group_id, null], [[[task_id, null], null], ...]]}}, set with the results' expiry and published
 * on its own name.
 */
@ApplicationScoped
public class GroupStore {

    static final String PREFIX = "celery-taskset-meta-";
    static final String CHORD_PREFIX = "celeriac-chord-meta-";
    /** Newest groups, for the dashboard; capped like the recent tasks. */
    public static final String RECENT = "celeriac-recent-groups";
    static final int RECENT_KEPT = 50;

    /** KEYS: the group's record; ARGV: record, ttl ms. */
    private static final LuaScript SAVE = new LuaScript("""
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            redis.call('PUBLISH', KEYS[1], ARGV[1])
            return 1
            """);

    /**
     * KEYS: {@link #RECENT}; ARGV: group id, now ms, kept. Apart from the record, which lies in another hash slot on
     * Redis Cluster: a group missing from the recent ones (the app died in between) is still complete.
     */
    private static final LuaScript ADD_RECENT = new LuaScript("""
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
            return 1
            """);

    private final RedisDataSource redis;
    private final CeleriacConfig config;

    private final MultiGet multiGet;

    public GroupStore(RedisDataSource redis, CeleriacConfig config, MultiGet multiGet) {
        this.multiGet = multiGet;
        this.redis = redis;
        this.config = config;
    }

    public static String key(String groupId) {
        return PREFIX + groupId;
    }

    /** A saved group: its members in order, and the body that follows them when it is a chord's header. */
    public record Saved(String id, List<String> members, String chordBody) {
    }

    public void save(String groupId, List<String> taskIds) {
        save(key(groupId), groupId, taskIds, null);
    }

    /**
     * Saves a chord's header group, with {@code chordBody}, the id of the task that runs after it, in the same shape
     * but under a key of Celeriac's ({@code celeriac-chord-meta-<id>}): Celery saves a chord's group only when it
     * nests groups, and a Python worker completing a chord whose group is saved joins that group rather than reading
     * the chord's count.
     */
    public void saveChord(String groupId, List<String> taskIds, String chordBody) {
        save(chordKey(groupId), groupId, taskIds, chordBody);
    }

    static String chordKey(String groupId) {
        return CHORD_PREFIX + groupId;
    }

    private void save(String key, String groupId, List<String> taskIds, String chordBody) {
        ObjectNode record = WireJson.MAPPER.createObjectNode();
        ArrayNode tuple = record.putArray("result");
        tuple.addArray().add(groupId).addNull();
        ArrayNode members = tuple.addArray();
        for (String id : taskIds) {
            ArrayNode member = members.addArray();
            member.addArray().add(id).addNull();
            member.addNull();
        }
        if (chordBody != null) {
            record.put("celeriac_chord_body", chordBody);
        }
        SAVE.run(redis, List.of(key), record.toString(), Long.toString(config.resultExpires().toMillis()));
        ADD_RECENT.run(redis, List.of(RECENT), groupId, Long.toString(System.currentTimeMillis()),
                Integer.toString(RECENT_KEPT));
    }

    /** The newest saved groups, newest first, at most {@code limit}; expired ones are left out. */
    public List<Saved> recent(int limit) {
        List<String> ids = redis.sortedSet(String.class).zrange(RECENT, 0, limit - 1,
                new io.quarkus.redis.datasource.sortedset.ZRangeArgs().rev());
        List<Saved> saved = new ArrayList<>();
        if (ids.isEmpty()) {
            return saved;
        }
        List<String> keys = new ArrayList<>();
        ids.forEach(id -> keys.addAll(List.of(key(id), chordKey(id))));
        var records = multiGet.get(keys);
        for (String id : ids) {
            String stored = records.get(key(id)) != null ? records.get(key(id)) : records.get(chordKey(id));
            if (stored != null) {
                saved.add(parse(id, stored));
            }
        }
        return saved;
    }

    /** The member ids of a saved group, in order; empty when no group was saved under that id (or it expired). */
    public Optional<List<String>> members(String groupId) {
        var values = redis.value(String.class);
        String stored = values.get(key(groupId));
        if (stored == null) {
            stored = values.get(chordKey(groupId));
        }
        return stored == null ? Optional.empty() : Optional.of(parse(groupId, stored).members());
    }

    private static Saved parse(String groupId, String stored) {
        JsonNode record;
        try {
            record = WireJson.MAPPER.readTree(stored);
        } catch (IOException e) {
            throw new IllegalStateException("group " + groupId + " is not a Celery group record", e);
        }
        List<String> ids = new ArrayList<>();
        // A member is [[task_id, parent], null]; a nested group is [[group_id, parent], [members]]: its own members
        // count, as Celery's GroupResult flattens them when it joins.
        collect(record.path("result").path(1), ids);
        return new Saved(groupId, ids, record.path("celeriac_chord_body").asText(null));
    }

    private static void collect(JsonNode members, List<String> ids) {
        for (JsonNode member : members) {
            JsonNode nested = member.path(1);
            if (nested.isArray()) {
                collect(nested, ids);
            } else if (member.path(0).path(0).isTextual()) {
                ids.add(member.path(0).path(0).textValue());
            }
        }
    }
}
