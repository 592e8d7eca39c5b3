package io.celeriac.canvas;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.WireJson;
import io.celeriac.redis.LuaScript;
import io.celeriac.redis.RedisTopology;
import io.celeriac.result.GroupStore;
import io.quarkus.redis.datasource.RedisDataSource;
import io.vertx.mutiny.redis.client.Response;

/**
 * A chord's bookkeeping in Redis, key for key as Celery's Redis backend keeps it, so Python and Java members of one
 * chord count together: the sender writes the size to {@code celery-taskset-meta-<group>.s}; each member, once its
 * outcome is stored, adds {@code [1, id, state, result]} to the sorted set {@code .j} scored by its place in the
 * header; the one that completes the count fires the body. Sturdier than Celery's: a member counted twice (a
 * redelivery, a duplicate run with another result) counts once ({@code .ids}, ours), and only one member claims the
 * firing ({@code .claim}, ours), the same one again if it died before the body was sent. Every key expires with the
 * results. On Redis Cluster the keys are named {@code {celery-taskset-meta-<group>}.j} and so on, to share a hash slot
 * (Celery's names lie in different slots; Celery does not run on Redis Cluster, so no Python member meets them).
 */
@ApplicationScoped
public class Chords {

    private static final LuaScript SIZE = new LuaScript("""
            redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
            redis.call('PUBLISH', KEYS[1], ARGV[1])
            return 1
            """);

    /**
     * KEYS: .j, .t, .s, .claim, .ids; ARGV: score, member, ttl s, task id. Answers {0} or {1, members}. A member this
     * side counted before (a second run, perhaps with another result) is not added again: the count is of members,
     * not of runs.
     */
    private static final LuaScript PART = LuaScript.acrossSlots("""
            if redis.call('SADD', KEYS[5], ARGV[4]) == 1 then
              redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
            end
            redis.call('EXPIRE', KEYS[5], ARGV[3])
            local count = redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
            local extra = redis.call('GET', KEYS[2])
            local size = redis.call('GET', KEYS[3])
            redis.call('EXPIRE', KEYS[1], ARGV[3])
            redis.call('EXPIRE', KEYS[2], ARGV[3])
            redis.call('EXPIRE', KEYS[3], ARGV[3])
            if not size then return {0} end
            if count < tonumber(size) + tonumber(extra or '0') then return {0} end
            if not redis.call('SET', KEYS[4], ARGV[4], 'NX', 'EX', ARGV[3]) then
              if redis.call('GET', KEYS[4]) ~= ARGV[4] then return {0} end
            end
            return {1, redis.call('ZRANGE', KEYS[1], 0, -1)}
            """);

    /** KEYS: .j, .t, .s, .claim, .ids; ARGV: ttl s. */
    private static final LuaScript FIRED = LuaScript.acrossSlots("""
            redis.call('SET', KEYS[4], '', 'EX', ARGV[1])
            redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5])
            return 1
            """);

    private final RedisDataSource redis;
    private final CeleriacConfig config;
    private final RedisTopology topology;

    public Chords(RedisDataSource redis, CeleriacConfig config, RedisTopology topology) {
        this.topology = topology;
        this.redis = redis;
        this.config = config;
    }

    /** One member's outcome, as the count holds it. */
    public record Part(String taskId, String state, JsonNode result) {
        boolean failed() {
            return "FAILURE".equals(state) || "REVOKED".equals(state);
        }
    }

    /** Written before any member is sent: without it, no member can tell it is the last. */
    void size(String groupId, int size) {
        SIZE.run(redis, List.of(keys(groupId).get(2)), Integer.toString(size), ttl());
    }

    /**
     * Counts one member's outcome. Present (the outcomes in the header's order, one per member) when this member
     * completes the count and it falls to it to fire the body.
     */
    Optional<List<Part>> returned(String groupId, Integer index, String taskId, String state, JsonNode result) {
        String member = WireJson.MAPPER.createArrayNode().add(1).add(taskId).add(state).add(result).toString();
        Response reply = PART.run(redis, keys(groupId), index == null ? "+inf" : index.toString(), member, ttl(),
                taskId);
        if (reply.get(0).toInteger() != 1) {
            return Optional.empty();
        }
        List<Part> parts = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Response entry : reply.get(1)) {
            JsonNode decoded;
            try {
                decoded = WireJson.MAPPER.readTree(entry.toString());
            } catch (IOException e) {
                throw new IllegalStateException("chord " + groupId + " holds a member that is not JSON: " + entry, e);
            }
            String id = decoded.path(1).asText();
            // A member counted twice with two results (it ran twice): its first outcome stands.
            if (seen.add(id)) {
                parts.add(new Part(id, decoded.path(2).asText(), decoded.path(3)));
            }
        }
        return Optional.of(parts);
    }

    /** The body is sent: the count goes, and a late duplicate of a member finds no size and fires nothing. */
    void fired(String groupId) {
        FIRED.run(redis, keys(groupId), ttl());
    }

    private List<String> keys(String groupId) {
        String base = GroupStore.key(groupId);
        return List.of(".j", ".t", ".s", ".claim", ".ids").stream()
                .map(suffix -> topology.besides(base, base + suffix, suffix)).toList();
    }

    private String ttl() {
        return Long.toString(Math.max(1, config.resultExpires().toSeconds()));
    }
}
