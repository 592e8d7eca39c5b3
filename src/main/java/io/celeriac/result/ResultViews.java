package io.celeriac.result;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;

import io.celeriac.message.WireJson;
import io.celeriac.redis.LuaScript;
import io.quarkus.redis.datasource.RedisDataSource;

/**
 * The views across all tasks: the newest ids ({@link #RECENT}), the counters ({@link #STATS}) and the live event
 * channel ({@link #EVENTS}). Every state write of every task would otherwise touch these three keys, each on one
 * Redis Cluster shard that all the cluster's writes would funnel through; so each instance collects its changes and
 * writes them every {@link #INTERVAL}, one command per key. The record itself is written at once (ResultStore); the
 * views lag by up to the interval, and an instance killed outright loses at most that interval's share of them
 * (counters and recent ids, never a record).
 */
@Singleton
public class ResultViews {

    private static final Logger LOG = Logger.getLogger(ResultViews.class);

    /** Newest task ids, for the dashboard; capped. */
    public static final String RECENT = "celeriac-recent";
    /** Cluster-wide counters: tasks sent, and how many reached each ready or retry state. */
    public static final String STATS = "celeriac-stats";
    /**
     * State changes as small events ({@code task_id, name, status, date_done}), for live views on any API instance:
     * not the record, whose result or traceback can be large. A message is a JSON array of the events of one batch.
     */
    public static final String EVENTS = "celeriac-task-events";
    static final int RECENT_KEPT = 500;
    static final Duration INTERVAL = Duration.ofMillis(100);
    /** Changes held while Redis is away; beyond that the oldest go (views, not records). */
    static final int MAX_PENDING = 100_000;
    private static final int BATCH = 5_000;

    /** ARGV: kept, then score, member pairs. */
    private static final LuaScript ADD_RECENT = new LuaScript("""
            for i = 2, #ARGV, 2 do
              redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
            end
            redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[1]) + 1))
            return 1
            """);

    /** ARGV: field, increment pairs. */
    private static final LuaScript COUNT = new LuaScript("""
            for i = 1, #ARGV, 2 do
              redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
            end
            return 1
            """);

    /** What the views keep of a record: not its result or traceback, which may be large. */
    private record Change(String taskId, String name, String status, String dateDone, long at) {
    }

    private final RedisDataSource redis;
    private final ConcurrentLinkedQueue<Change> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "celeriac-result-views");
        thread.setDaemon(true);
        return thread;
    });

    public ResultViews(RedisDataSource redis) {
        this.redis = redis;
        flusher.scheduleWithFixedDelay(this::flushQuietly, INTERVAL.toMillis(), INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** A record Redis now holds: the views hear of it with the next batch. */
    void changed(TaskResult record) {
        pending.add(new Change(record.taskId(), record.name(), record.status(), record.dateDone(),
                System.currentTimeMillis()));
        if (size.incrementAndGet() > MAX_PENDING && pending.poll() != null) {
            size.decrementAndGet();
        }
    }

    private void flushQuietly() {
        try {
            while (flush() == BATCH) {
                // a full batch: more may wait
            }
        } catch (RuntimeException e) {
            LOG.debugf("task views not updated, retrying: %s", e.getMessage());
        }
    }

    /** Writes what changed since the last batch; answers how many changes went. */
    synchronized int flush() {
        List<Change> batch = new ArrayList<>();
        for (Change change; batch.size() < BATCH && (change = pending.poll()) != null;) {
            size.decrementAndGet();
            batch.add(change);
        }
        if (batch.isEmpty()) {
            return 0;
        }
        try {
            write(batch);
        } catch (RuntimeException e) {
            // Back in front of newer changes would reorder the events; behind them keeps each task's own order
            // within a batch, which is what a live view reads. A batch that failed part way is written whole
            // again: its counts may then count twice (views, not records).
            batch.forEach(this::changedAgain);
            throw e;
        }
        return batch.size();
    }

    private void changedAgain(Change change) {
        pending.add(change);
        size.incrementAndGet();
    }

    private void write(List<Change> batch) {
        List<String> recent = new ArrayList<>(1 + 2 * batch.size());
        recent.add(Integer.toString(RECENT_KEPT));
        Map<String, Integer> counts = new TreeMap<>();
        ArrayNode events = WireJson.MAPPER.createArrayNode();
        for (Change change : batch) {
            recent.add(Long.toString(change.at()));
            recent.add(change.taskId());
            String counted = counted(change.status());
            if (counted != null) {
                counts.merge(counted, 1, Integer::sum);
            }
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("task_id", change.taskId());
            event.put("name", change.name());
            event.put("status", change.status());
            event.put("date_done", change.dateDone());
            events.addPOJO(event);
        }
        ADD_RECENT.run(redis, List.of(RECENT), recent.toArray(String[]::new));
        if (!counts.isEmpty()) {
            List<String> increments = new ArrayList<>();
            counts.forEach((field, count) -> {
                increments.add(field);
                increments.add(Integer.toString(count));
            });
            COUNT.run(redis, List.of(STATS), increments.toArray(String[]::new));
        }
        try {
            redis.execute("PUBLISH", EVENTS, WireJson.MAPPER.writeValueAsString(events));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode task events", e);
        }
    }

    /** The counter a state adds to: sends (a PENDING or IGNORED record is written once per send), and outcomes. */
    static String counted(String state) {
        return switch (state) {
            case TaskState.PENDING, TaskState.IGNORED -> "sent";
            case TaskState.SUCCESS, TaskState.FAILURE, TaskState.REVOKED, TaskState.RETRY -> state;
            default -> null;
        };
    }

    @PreDestroy
    void close() {
        flusher.shutdownNow();
        // What this instance saw last still counts, Redis willing.
        flushQuietly();
    }
}
