package io.celeriac.client;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.deadletter.DeadLetters;
import io.celeriac.message.MalformedMessageException;
import io.celeriac.message.TaskIds;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.redis.LuaScript;
import io.celeriac.redis.RedisTopology;
import io.celeriac.result.ResultStore;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.ScanArgs;
import io.quarkus.redis.datasource.sortedset.ScoredValue;
import io.quarkus.redis.datasource.sortedset.ZScanCursor;
import io.quarkus.scheduler.Scheduled;
import io.vertx.mutiny.redis.client.Response;

/**
 * Tasks with an eta (countdown, retry backoff) wait here, in Redis, not in a worker's memory and not in the broker
 * (where a long wait would meet RabbitMQ's consumer timeout or Redis-broker visibility timeouts, celery #7009).
 * <p>
 * Each send is its own entry, under an id of its own, not under the task's id: one task id can wait more than once
 * (a caller's chosen id sent twice, a send while a retry of that id waits), and keyed by task id the later send
 * would silently replace the earlier one.
 * <p>
 * Every instance promotes due entries to the broker; a promotion is claimed by pushing the entry's score a lease into
 * the future, so an instance that dies while promoting leaves the entry to be promoted again, not lost. The lease
 * must outlast the slowest promotion of a claimed batch, or another instance re-claims entries still being sent and
 * sends them again; so batches are small and the lease is sized from {@code celeriac.task-publish-timeout}. A send
 * that fails ends the round: the broker is likely down, and claiming more would only hold more tasks back.
 * <p>
 * An entry whose message cannot be read is dead-lettered, not dropped, so its task is neither lost without a trace
 * nor retried forever.
 */
@Singleton
public class DelayedQueue {

    private static final Logger LOG = Logger.getLogger(DelayedQueue.class);
    /** Entry ids scored by due time (epoch ms), or by the end of a promotion's lease while claimed. */
    static final String INDEX = "celeriac-delayed";
    /** Entry id to the task message, as JSON; on Redis Cluster {@code {celeriac-delayed}.messages} (see messagesKey). */
    static final String MESSAGES = "celeriac-delayed-messages";
    /** Small, so that a batch sent at the publish timeout's worst still fits well inside a lease. */
    static final int BATCH = 20;
    /** Slack past the batch's sending budget: the last send may start just inside it, Redis replies take time. */
    private static final long LEASE_MARGIN_MS = 30_000;
    /** An entry id is {@code <task id>:<random UUID>}: unique per send, and the task id is still known from it alone. */
    private static final char SEPARATOR = ':';
    private static final int SUFFIX_LENGTH = 1 + 36;

    private static final LuaScript ADD = LuaScript.acrossSlots("""
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
            return 1
            """);

    /** Claims up to ARGV[3] due entries (score <= ARGV[1]) by moving their score to ARGV[2]; returns id, body pairs. */
    private static final LuaScript CLAIM = LuaScript.acrossSlots("""
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
     * Removes a promoted entry while this instance's claim on it holds: once the lease has run out and another
     * instance has claimed the entry, that instance sends it and removes it.
     */
    private static final LuaScript REMOVE = LuaScript.acrossSlots("""
            if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) == tonumber(ARGV[2]) then
              redis.call('ZREM', KEYS[1], ARGV[1])
              redis.call('HDEL', KEYS[2], ARGV[1])
              return 1
            end
            return 0
            """);

    /**
     * Hands claimed entries back (ARGV[3..]: entry ids) at score ARGV[2], those still under this round's claim
     * (score ARGV[1]): none of them left, so the next round may take them at once rather than after the lease.
     */
    private static final LuaScript UNCLAIM = LuaScript.acrossSlots("""
            local back = 0
            for i = 3, #ARGV do
              if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i])) == tonumber(ARGV[1]) then
                redis.call('ZADD', KEYS[1], ARGV[2], ARGV[i])
                back = back + 1
              end
            end
            return back
            """);

    private final RedisDataSource redis;
    /** How long an entry whose send failed waits before it is tried again. */
    static final java.time.Duration RETRY_FAILED = java.time.Duration.ofSeconds(10);
    private final TaskMessageCodec codec;
    private final Publisher publisher;
    private final DeadLetters deadLetters;
    private final ResultStore results;
    /** How long a round may go on starting sends: every send of a full batch at the publish timeout. */
    private final long sendingBudgetMs;
    /** The budget, one more send that started just inside it, and the margin. */
    private final long leaseMs;
    /** The index and the messages, which every script takes together. */
    private final List<String> keys;

    public DelayedQueue(RedisDataSource redis, TaskMessageCodec codec, Publisher publisher, DeadLetters deadLetters,
            ResultStore results, CeleriacConfig config, RedisTopology topology) {
        this.keys = List.of(INDEX, messagesKey(topology));
        this.results = results;
        this.redis = redis;
        this.codec = codec;
        this.publisher = publisher;
        this.deadLetters = deadLetters;
        long publishTimeoutMs = config.taskPublishTimeout().toMillis();
        this.sendingBudgetMs = BATCH * publishTimeoutMs;
        this.leaseMs = sendingBudgetMs + publishTimeoutMs + LEASE_MARGIN_MS;
    }

    /** {@link #MESSAGES} on one Redis; in the index's hash slot on a cluster. */
    static String messagesKey(RedisTopology topology) {
        return topology.besides(INDEX, MESSAGES, ".messages");
    }

    public void add(TaskMessage message, Instant eta) {
        ADD.run(redis, keys, entryId(message.id()), Long.toString(eta.toEpochMilli()),
                codec.store(message));
    }

    /**
     * As {@link #add}, under an entry named by the caller ({@code uuid}, a UUID): added twice, it waits once (the
     * outbox names it after its row, which it may publish twice).
     */
    public void addOnce(TaskMessage message, Instant eta, String uuid) {
        ADD.run(redis, keys, message.id() + SEPARATOR + uuid, Long.toString(eta.toEpochMilli()),
                codec.store(message));
    }

    /** How many tasks wait for their eta (a task id that waits twice counts twice). */
    public long size() {
        return redis.sortedSet(String.class).zcard(INDEX);
    }

    /**
     * How many sends of task {@code taskId} wait here, claimed ones included. It scans the queue, so it is for
     * inspection and tests, not for a hot path.
     */
    public long waiting(String taskId) {
        ZScanCursor<String> cursor = redis.sortedSet(String.class).zscan(INDEX,
                new ScanArgs().match(glob(taskId) + SEPARATOR + "*").count(500));
        // A scan may return an entry twice (while Redis rehashes): count distinct ones.
        Set<String> entries = new HashSet<>();
        while (cursor.hasNext()) {
            for (ScoredValue<String> entry : cursor.next()) {
                if (taskId.equals(taskIdOf(entry.value()))) {
                    entries.add(entry.value());
                }
            }
        }
        return entries.size();
    }

    // Only while the application runs: a run during start-up raced the creation of the Redis client (a
    // ConcurrentModificationException in Quarkus's Redis recorder failed a start).
    @Scheduled(every = "${celeriac.delayed.poll-interval}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void promoteDue() {
        try {
            while (promote(Instant.now())) {
                // a full batch went out: more may be due
            }
        } catch (RuntimeException e) {
            LOG.warnf("could not promote delayed tasks: %s", e.toString());
        }
    }

    /**
     * Claims a batch of the entries due at {@code now} and sends them to the broker; true when a full batch went
     * out, so more may be due. Entries it claimed but did not send stay claimed, and are promoted again once the
     * lease runs out.
     */
    boolean promote(Instant now) {
        long started = System.nanoTime();
        String claimScore = Long.toString(now.toEpochMilli() + leaseMs);
        Response claimed = CLAIM.run(redis, keys, Long.toString(now.toEpochMilli()), claimScore,
                Integer.toString(BATCH));
        List<String> pairs = new ArrayList<>();
        for (Response item : claimed) {
            pairs.add(item.toString());
        }
        int entries = pairs.size() / 2;
        for (int i = 0; i < entries; i++) {
            String entry = pairs.get(2 * i);
            String body = pairs.get(2 * i + 1);
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            if (elapsedMs > sendingBudgetMs) {
                // Starting another send could outlast the lease, and another instance would send the rest again.
                LOG.warnf("promoting delayed tasks is slow (%d of %d done in %d ms): the rest go in the next round",
                        i, entries, elapsedMs);
                unclaim(pairs, i, claimScore, now);
                return false;
            }
            TaskMessage message;
            try {
                message = codec.restore(body);
            } catch (MalformedMessageException e) {
                // Dead-lettered before it is removed: should the dead letter fail, the entry stays, claimed.
                String taskId = taskIdOf(entry);
                if (TaskIds.valid(taskId)) {
                    // Its sender may be waiting on the id: say why it will never run.
                    results.failed(taskId, e.task(), e);
                }
                deadLetters.add(taskId, e.task(), "malformed delayed message: " + e.getMessage(), body);
                REMOVE.run(redis, keys, entry, claimScore);
                LOG.errorf("dead-lettered the unreadable delayed task %s (entry %s): %s", taskId, entry,
                        e.getMessage());
                continue;
            }
            try {
                publisher.publish(message);
            } catch (TaskSendException e) {
                // Kept either way: a task that may run twice (the same id, so a finished one is not run again)
                // is better than one lost.
                if (e instanceof TaskSendUncertainException) {
                    LOG.warnf("delayed task %s may have reached the broker, but it stays here too and is promoted "
                            + "again in %d s, so it may run twice: %s", message.id(), leaseMs / 1000,
                            e.getMessage());
                    unclaim(pairs, i + 1, claimScore, now);
                } else {
                    // Nothing of this one or the rest left: the next round tries them, not the end of the lease. This
                    // one waits a little first, so one that cannot be sent for a while (its queue refuses it) does
                    // not stand ahead of every task that comes due after it.
                    LOG.warnf("could not promote delayed task %s, will try again in %d s: %s", message.id(),
                            RETRY_FAILED.toSeconds(), e.getMessage());
                    unclaim(pairs, i, i + 1, claimScore, now.plus(RETRY_FAILED));
                    unclaim(pairs, i + 1, claimScore, now);
                }
                return false;
            }
            REMOVE.run(redis, keys, entry, claimScore);
            LOG.debugf("promoted delayed task %s (entry %s)", message.id(), entry);
        }
        return entries == BATCH;
    }

    /** Hands back the claimed entries from the {@code from}-th on, due at {@code now} again. */
    private void unclaim(List<String> pairs, int from, String claimScore, Instant now) {
        unclaim(pairs, from, pairs.size() / 2, claimScore, now);
    }

    /** Hands back the claimed entries {@code from} (inclusive) to {@code to} (exclusive), due at {@code due}. */
    private void unclaim(List<String> pairs, int from, int to, String claimScore, Instant due) {
        List<String> args = new ArrayList<>(List.of(claimScore, Long.toString(due.toEpochMilli())));
        for (int i = from; i < to; i++) {
            args.add(pairs.get(2 * i));
        }
        if (args.size() > 2) {
            try {
                UNCLAIM.run(redis, keys, args.toArray(String[]::new));
            } catch (RuntimeException e) {
                // They stay claimed: promoted once the lease runs out instead.
                LOG.debugf("could not hand back claimed delayed tasks: %s", e.getMessage());
            }
        }
    }

    /** A new entry's id for a send of task {@code taskId}. */
    static String entryId(String taskId) {
        return taskId + SEPARATOR + UUID.randomUUID();
    }

    /**
     * The task id an entry is for. An entry written before entries had ids of their own is keyed by the bare task id.
     */
    static String taskIdOf(String entry) {
        int cut = entry.length() - SUFFIX_LENGTH;
        if (cut > 0 && entry.charAt(cut) == SEPARATOR) {
            return entry.substring(0, cut);
        }
        return entry.isEmpty() ? null : entry;
    }

    /** {@code text} as a Redis glob pattern that matches only itself. */
    private static String glob(String text) {
        StringBuilder pattern = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                pattern.append('\\');
            }
            pattern.append(c);
        }
        return pattern.toString();
    }
}
