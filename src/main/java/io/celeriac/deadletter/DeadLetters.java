package io.celeriac.deadletter;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

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
import io.quarkus.runtime.StartupEvent;

/**
 * Dead letters, kept in Redis where they can be listed, read and requeued (a broker queue can only be consumed),
 * each for {@code celeriac.dead-letter-expires}. Messages the broker itself rejects land in the {@code <queue>.dead}
 * queue through the queue's dead-letter policy, as a safety net.
 */
@Singleton
public class DeadLetters {

    private static final Logger LOG = Logger.getLogger(DeadLetters.class);

    static final String INDEX = "celeriac-dead-letters";
    /** A letter's key, {@code {celeriac-dead-letters}.<id>}: in the index's hash slot, as the scripts need both. */
    static final String KEY_PREFIX = "{" + INDEX + "}.";
    /** Where letters lay before they shared the index's slot; moved once, on a Redis that is not a cluster. */
    private static final String OLD_KEY_PREFIX = "celeriac-dead-letter-";

    private final RedisDataSource redis;
    private final ValueCommands<String, String> values;
    private final SortedSetCommands<String, String> index;
    private final ObjectMapper mapper = WireJson.MAPPER;
    private final CeleriacConfig config;

    public DeadLetters(RedisDataSource redis, CeleriacConfig config) {
        this.redis = redis;
        this.values = redis.value(String.class);
        this.index = redis.sortedSet(String.class);
        this.config = config;
    }

    /** Adds the index entry and the letter in one step, so neither can be left without the other. */
    private static final LuaScript ADD = new LuaScript("""
            redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
            redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
            return 1
            """);

    /** Takes a letter out, once: of two callers, only one gets it. */
    private static final LuaScript TAKE = new LuaScript("""
            redis.call('ZREM', KEYS[1], ARGV[1])
            return redis.call('GETDEL', KEYS[2])
            """);

    /** ARGV: old prefix, new prefix; answers how many letters moved. */
    private static final LuaScript MOVE_OLD = LuaScript.acrossSlots("""
            local moved = 0
            for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
              if redis.call('EXISTS', ARGV[1] .. id) == 1 then
                redis.call('RENAME', ARGV[1] .. id, ARGV[2] .. id)
                moved = moved + 1
              end
            end
            return moved
            """);

    void moveOldLetters(@Observes StartupEvent event, RedisTopology topology) {
        if (topology.clustered()) {
            return;
        }
        try {
            long moved = MOVE_OLD.run(redis, List.of(INDEX), OLD_KEY_PREFIX, KEY_PREFIX).toLong();
            if (moved > 0) {
                LOG.infof("moved %d dead letters to their new keys", moved);
            }
        } catch (RuntimeException e) {
            LOG.warnf("could not look for dead letters under their old keys (Redis unreachable?): %s", e.getMessage());
        }
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
        ADD.run(redis, List.of(INDEX, KEY_PREFIX + letter.id()), letter.id(), json,
                Long.toString(config.deadLetterExpires().toMillis()), Long.toString(System.currentTimeMillis()));
        return letter;
    }

    /** Removes a letter and returns it, if nobody took it first (two operators requeueing it at once). */
    public Optional<DeadLetter> take(String id) {
        var reply = TAKE.run(redis, List.of(INDEX, KEY_PREFIX + id), id);
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
        String json = values.get(KEY_PREFIX + id);
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
        return values.getdel(KEY_PREFIX + id) != null;
    }
}
