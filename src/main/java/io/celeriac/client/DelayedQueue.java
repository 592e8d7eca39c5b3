package io.celeriac.client;

import java.time.Instant;
import java.util.List;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.celeriac.message.MalformedMessageException;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.redis.LuaScript;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.scheduler.Scheduled;
import io.vertx.mutiny.redis.client.Response;

/**
 * Tasks with an eta (countdown, retry backoff) wait here, in Redis, not in a worker's memory and not in the broker
 * (where a long wait would meet RabbitMQ's consumer timeout or Redis-broker visibility timeouts, celery #7009). Every
 * instance promotes due tasks to the broker; a promotion is claimed by pushing the task's score a lease into the
 * future, so an instance that dies while promoting leaves the task to be promoted again, not lost.
 */
@Singleton
public class DelayedQueue {

    private static final Logger LOG = Logger.getLogger(DelayedQueue.class);
    static final String INDEX = "celeriac-delayed";
    static final String MESSAGES = "celeriac-delayed-messages";
    static final long PROMOTION_LEASE_MS = 30_000;
    private static final int BATCH = 200;

    private static final LuaScript ADD = new LuaScript("""
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            return 1
            """);

    /** Claims up to ARGV[3] due tasks (score <= ARGV[1]) by moving their score to ARGV[2]; returns id, body pairs. */
    private static final LuaScript CLAIM = new LuaScript("""
            local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
            local out = {}
            for _, id in ipairs(ids) do
              redis.call('ZADD', KEYS[1], ARGV[2], id)
              local body = redis.call('HGET', KEYS[2], id)
              table.insert(out, id)
              table.insert(out, body or '')
            end
            return out
            """);

    /**
     * Removes a promoted task, unless it was added again meanwhile: a retry reuses the task's id, and a fast worker can
     * run the promoted message and schedule its retry before this removal comes.
     */
    private static final LuaScript REMOVE = new LuaScript("""
            if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) == tonumber(ARGV[2]) then
              redis.call('ZREM', KEYS[1], ARGV[1])
              redis.call('HDEL', KEYS[2], ARGV[1])
              return 1
            end
            return 0
            """);

    private final RedisDataSource redis;
    private final TaskMessageCodec codec;
    private final Publisher publisher;

    public DelayedQueue(RedisDataSource redis, TaskMessageCodec codec, Publisher publisher) {
        this.redis = redis;
        this.codec = codec;
        this.publisher = publisher;
    }

    public void add(TaskMessage message, Instant eta) {
        ADD.run(redis, List.of(INDEX, MESSAGES), message.id(), Long.toString(eta.toEpochMilli()),
                new String(codec.encode(message), java.nio.charset.StandardCharsets.UTF_8));
    }

    /** How many tasks wait for their eta. */
    public long size() {
        return redis.sortedSet(String.class).zcard(INDEX);
    }

    // Delayed past start-up so the first runs do not race the creation of the Redis client.
    @Scheduled(every = "${celeriac.delayed.poll-interval}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void promoteDue() {
        try {
            while (promote(Instant.now()) == BATCH) {
                // a full batch: more may be due
            }
        } catch (RuntimeException e) {
            LOG.warnf("could not promote delayed tasks: %s", e.toString());
        }
    }

    /** Sends the tasks due at {@code now} to the broker; returns how many were claimed. */
    int promote(Instant now) {
        String claimScore = Long.toString(now.toEpochMilli() + PROMOTION_LEASE_MS);
        Response claimed = CLAIM.run(redis, List.of(INDEX, MESSAGES), Long.toString(now.toEpochMilli()), claimScore,
                Integer.toString(BATCH));
        List<String> pairs = new java.util.ArrayList<>();
        for (Response item : claimed) {
            pairs.add(item.toString());
        }
        for (int i = 0; i + 1 < pairs.size(); i += 2) {
            String id = pairs.get(i);
            String body = pairs.get(i + 1);
            try {
                publisher.publish(codec.decode(body));
            } catch (MalformedMessageException e) {
                LOG.errorf("dropping unreadable delayed task %s: %s", id, e.getMessage());
            } catch (TaskSendException e) {
                // Stays claimed; promoted again once the lease runs out.
                LOG.warnf("could not promote delayed task %s, will retry: %s", id, e.getMessage());
                return pairs.size() / 2;
            }
            REMOVE.run(redis, List.of(INDEX, MESSAGES), id, claimScore);
            LOG.debugf("promoted delayed task %s", id);
        }
        return pairs.size() / 2;
    }
}
