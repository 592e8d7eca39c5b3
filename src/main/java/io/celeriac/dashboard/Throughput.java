package io.celeriac.dashboard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;

import io.celeriac.redis.MultiGet;
import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.WireJson;
import io.celeriac.metrics.TaskMetrics;
import io.celeriac.result.ResultViews;
import io.celeriac.role.Role;
import io.celeriac.role.Roles;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.scheduler.Scheduled;

/**
 * The dashboard's charts: every {@code celeriac.dashboard.sample-interval}, the cluster's counters (succeeded,
 * failed) and the queue depth, kept 15 minutes in Redis, one sample per interval for the whole cluster (the first
 * api instance to write an interval's key wins; the others' writes are no-ops). Rates come from successive samples.
 */
@ApplicationScoped
public class Throughput {

    private static final Logger LOG = Logger.getLogger(Throughput.class);
    static final String PREFIX = "celeriac-sample-";
    static final Duration KEPT = Duration.ofMinutes(15);

    /** One sample: when, the counters then, and the queue's depth (null when not known). */
    public record Sample(long at, long succeeded, long failed, Long queued) {
    }

    private final RedisDataSource redis;
    private final TaskMetrics metrics;
    private final CeleriacConfig config;
    private final Roles roles;

    private final MultiGet multiGet;

    public Throughput(RedisDataSource redis, TaskMetrics metrics, CeleriacConfig config, Roles roles,
            MultiGet multiGet) {
        this.multiGet = multiGet;
        this.redis = redis;
        this.metrics = metrics;
        this.config = config;
        this.roles = roles;
    }

    @Scheduled(every = "${celeriac.dashboard.sample-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void sample() {
        if (!roles.has(Role.API)) {
            return;
        }
        long interval = config.dashboard().sampleInterval().toMillis();
        long bucket = System.currentTimeMillis() / interval;
        try {
            Map<String, String> stats = redis.hash(String.class).hgetall(ResultViews.STATS);
            OptionalLong queued = metrics.queueReady();
            Sample sample = new Sample(bucket * interval, count(stats, "SUCCESS"), count(stats, "FAILURE"),
                    queued.isPresent() ? queued.getAsLong() : null);
            redis.value(String.class).set(PREFIX + bucket, WireJson.MAPPER.writeValueAsString(sample),
                    new SetArgs().nx().px(KEPT.toMillis() + interval));
        } catch (RuntimeException | JsonProcessingException e) {
            // A gap in a chart, not an error of anyone's task.
            LOG.debugf("no throughput sample this time: %s", e.getMessage());
        }
    }

    /** The samples of the last 15 minutes, oldest first, in one round trip. */
    public List<Sample> history() {
        long interval = config.dashboard().sampleInterval().toMillis();
        long now = System.currentTimeMillis() / interval;
        int count = (int) Math.max(1, KEPT.toMillis() / interval);
        String[] keys = new String[count];
        for (int i = 0; i < count; i++) {
            keys[i] = PREFIX + (now - count + 1 + i);
        }
        Map<String, String> found = multiGet.get(List.of(keys));
        List<Sample> samples = new ArrayList<>();
        for (String key : keys) {
            String json = found.get(key);
            if (json == null) {
                continue;
            }
            try {
                samples.add(WireJson.MAPPER.readValue(json, Sample.class));
            } catch (JsonProcessingException e) {
                LOG.debugf("skipping an unreadable throughput sample %s", key);
            }
        }
        return samples;
    }

    private static long count(Map<String, String> stats, String state) {
        String value = stats.get(state);
        return value == null ? 0 : Long.parseLong(value);
    }
}
