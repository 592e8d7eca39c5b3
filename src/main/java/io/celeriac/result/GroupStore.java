package io.celeriac.result;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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

    private static final LuaScript SAVE = new LuaScript("""
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            redis.call('PUBLISH', KEYS[1], ARGV[1])
            return 1
            """);

    private final RedisDataSource redis;
    private final CeleriacConfig config;

    public GroupStore(RedisDataSource redis, CeleriacConfig config) {
        this.redis = redis;
        this.config = config;
    }

    public static String key(String groupId) {
        return PREFIX + groupId;
    }

    public void save(String groupId, List<String> taskIds) {
        ObjectNode record = WireJson.MAPPER.createObjectNode();
        ArrayNode tuple = record.putArray("result");
        tuple.addArray().add(groupId).addNull();
        ArrayNode members = tuple.addArray();
        for (String id : taskIds) {
            ArrayNode member = members.addArray();
            member.addArray().add(id).addNull();
            member.addNull();
        }
        SAVE.run(redis, List.of(key(groupId)), record.toString(), Long.toString(config.resultExpires().toMillis()));
    }

    /** The member ids of a saved group, in order; empty when no group was saved under that id (or it expired). */
    public Optional<List<String>> members(String groupId) {
        String stored = redis.value(String.class).get(key(groupId));
        if (stored == null) {
            return Optional.empty();
        }
        JsonNode members;
        try {
            members = WireJson.MAPPER.readTree(stored).path("result").path(1);
        } catch (IOException e) {
            throw new IllegalStateException("group " + groupId + " is not a Celery group record", e);
        }
        List<String> ids = new ArrayList<>();
        // A member is [[task_id, parent], null]; a nested group is [[group_id, parent], [members]]: its own members
        // count, as Celery's GroupResult flattens them when it joins.
        collect(members, ids);
        return Optional.of(ids);
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
