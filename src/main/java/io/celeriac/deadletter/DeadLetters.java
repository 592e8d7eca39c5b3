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
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.sortedset.ScoreRange;
import io.quarkus.redis.datasource.sortedset.SortedSetCommands;
import io.quarkus.redis.datasource.sortedset.ZRangeArgs;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.redis.datasource.value.ValueCommands;

/**
 * Dead letters, kept in Redis where they can be listed, read and requeued (a broker queue can only be consumed),
 * each for {@code celeriac.dead-letter-expires}. Messages the broker itself rejects land in the {@code <queue>.dead}
 * queue through the queue's dead-letter policy, as a safety net.
 */
@Singleton
public class DeadLetters {

    static final String INDEX = "celeriac-dead-letters";
    static final String KEY_PREFIX = "celeriac-dead-letter-";

    private final ValueCommands<String, String> values;
    private final SortedSetCommands<String, String> index;
    private final ObjectMapper mapper;
    private final CeleriacConfig config;

    public DeadLetters(RedisDataSource redis, ObjectMapper mapper, CeleriacConfig config) {
        this.values = redis.value(String.class);
        this.index = redis.sortedSet(String.class);
        this.mapper = mapper;
        this.config = config;
    }

    public DeadLetter add(String taskId, String task, String reason, String body) {
        DeadLetter letter = new DeadLetter(UUID.randomUUID().toString(), taskId, task, reason, body,
                Instant.now().toString());
        try {
            values.set(KEY_PREFIX + letter.id(), mapper.writeValueAsString(letter),
                    new SetArgs().px(config.deadLetterExpires().toMillis()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode dead letter", e);
        }
        index.zadd(INDEX, System.currentTimeMillis(), letter.id());
        return letter;
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
