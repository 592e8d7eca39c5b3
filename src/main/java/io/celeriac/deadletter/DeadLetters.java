package io.celeriac.deadletter;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.WireJson;
import io.celeriac.redis.LuaScript;
import io.celeriac.redis.RedisTopology;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.sortedset.ScoreRange;
import io.quarkus.redis.datasource.sortedset.SortedSetCommands;
import io.quarkus.redis.datasource.sortedset.ZRangeArgs;
import io.quarkus.redis.datasource.value.ValueCommands;

/**
 * Dead letters, kept in Redis where they can be listed, read and requeued (a broker queue can only be consumed),
 * each for {@code celeriac.dead-letter-expires}. Messages the broker itself rejects land in the {@code <queue>.dead}
 * queue through the queue's dead-letter policy, as a safety net.
 */
@Singleton
public class DeadLetters {


    static final String INDEX = "celeriac-dead-letters";
    /** A letter's key; on Redis Cluster {@code {celeriac-dead-letters}.<id>}, in the index's slot (see {@link #key}). */
    static final String KEY_PREFIX = "celeriac-dead-letter-";

    private final RedisDataSource redis;
    private final ValueCommands<String, String> values;
    private final SortedSetCommands<String, String> index;
    private final ObjectMapper mapper = WireJson.MAPPER;
    private final CeleriacConfig config;

    private final RedisTopology topology;

    public DeadLetters(RedisDataSource redis, CeleriacConfig config, RedisTopology topology) {
        this.topology = topology;
        this.redis = redis;
        this.values = redis.value(String.class);
        this.index = redis.sortedSet(String.class);
        this.config = config;
    }

    /** Adds the index entry and the letter in one step, so neither can be left without the other. */
    private static final LuaScript ADD = LuaScript.acrossSlots("""
            redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
            redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
            return 1
            """);

    /** Takes a letter out, once: of two callers, only one gets it. */
    private static final LuaScript TAKE = LuaScript.acrossSlots("""
            redis.call('ZREM', KEYS[1], ARGV[1])
            return redis.call('GETDEL', KEYS[2])
            """);

    private String key(String id) {
        return topology.besides(INDEX, KEY_PREFIX + id, "." + id);
    }

    /** A letter with its own id, not yet stored: {@link #add(DeadLetter)} it (again, harmlessly, on a retry). */
    public DeadLetter letter(String taskId, String task, String reason, String body) {
        return new DeadLetter(UUID.randomUUID().toString(), taskId, task, reason, body, Instant.now().toString());
    }

    public DeadLetter add(String taskId, String task, String reason, String body) {
        return add(letter(taskId, task, reason, body));
    }

    /** Stores a letter; storing the same letter twice leaves one. */
    public DeadLetter add(DeadLetter letter) {
        String json;
        try {
            json = mapper.writeValueAsString(letter);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode dead letter", e);
        }
        ADD.run(redis, List.of(INDEX, key(letter.id())), letter.id(), json,
                Long.toString(config.deadLetterExpires().toMillis()), Long.toString(System.currentTimeMillis()));
        return letter;
    }

    /** Removes a letter and returns it, if nobody took it first (two operators requeueing it at once). */
    public Optional<DeadLetter> take(String id) {
        var reply = TAKE.run(redis, List.of(INDEX, key(id)), id);
        if (reply == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(mapper.readValue(reply.toString(), DeadLetter.class));
        } catch (IOException e) {
            throw new IllegalStateException("unreadable dead letter " + id, e);
        }
    }

    /** The newest first, at most {@code limit}. */
    public List<DeadLetter> list(int limit) {
        index.zremrangebyscore(INDEX, new ScoreRange<>(Double.NEGATIVE_INFINITY,
                (double) (System.currentTimeMillis() - config.deadLetterExpires().toMillis())));
        List<String> ids = index.zrange(INDEX, 0, limit - 1, new ZRangeArgs().rev());
        List<DeadLetter> letters = new ArrayList<>();
        for (String id : ids) {
            get(id).ifPresent(letters::add);
        }
        return letters;
    }

    public long count() {
        return index.zcard(INDEX);
    }

    public Optional<DeadLetter> get(String id) {
        String json = values.get(key(id));
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(mapper.readValue(json, DeadLetter.class));
        } catch (IOException e) {
            throw new IllegalStateException("unreadable dead letter " + id, e);
        }
    }

    public boolean remove(String id) {
        index.zrem(INDEX, id);
        return values.getdel(key(id)) != null;
    }
}
