package io.celeriac.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.celeriac.client.DelayedQueue;
import io.celeriac.queue.Queues;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.scheduler.Scheduled;

/**
 * Celeriac's Micrometer meters (Prometheus at {@code /q/metrics}): per task name, tasks sent, succeeded, failed and
 * retried and a runtime histogram; queue depth, delayed tasks and the result store's size. The gauges are sampled in
 * the background so a scrape never waits on the broker.
 */
@Singleton
public class TaskMetrics {

    private static final Logger LOG = Logger.getLogger(TaskMetrics.class);
    /** Samples run every 5 s; three missed ones make the depth unknown. */
    static final long STALE_AFTER_MS = 15_000;

    private final MeterRegistry registry;
    private final Queues queues;
    private final DelayedQueue delayed;
    private final RedisDataSource redis;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final AtomicLong ready = new AtomicLong();
    private final AtomicLong waiting = new AtomicLong();
    private final AtomicLong resultKeys = new AtomicLong();
    /** When {@link #ready} was last read from the broker (epoch ms; 0: never). */
    private volatile long readyAt;

    public TaskMetrics(MeterRegistry registry, Queues queues, DelayedQueue delayed, RedisDataSource redis) {
        this.registry = registry;
        this.queues = queues;
        this.delayed = delayed;
        this.redis = redis;
        registry.gauge("celeriac.queue.ready", ready);
        registry.gauge("celeriac.queue.delayed", waiting);
        registry.gauge("celeriac.result.store.keys", resultKeys);
    }

    /** A gauge read from {@code value} at each scrape. */
    public void gauge(String name, Supplier<Number> value) {
        Gauge.builder(name, value).register(registry);
    }

    /**
     * The task queue's depth as last sampled, if the sample is recent: what liveness and the dashboard show, so
     * neither waits on a broker that is slow to answer.
     */
    public OptionalLong queueReady() {
        long at = readyAt;
        return at > 0 && System.currentTimeMillis() - at < STALE_AFTER_MS ? OptionalLong.of(ready.get())
                : OptionalLong.empty();
    }

    public void sent(String task) {
        counter("celeriac.tasks.sent", task).increment();
    }

    public void succeeded(String task, Duration runtime) {
        counter("celeriac.tasks.succeeded", task).increment();
        runtime(task).record(runtime);
    }

    public void failed(String task, Duration runtime) {
        counter("celeriac.tasks.failed", task).increment();
        runtime(task).record(runtime);
    }

    /** A delivery not run, and why: {@code ready} (its record is final), {@code revoked}, {@code expired}. */
    public void skipped(String task, String reason) {
        counters.computeIfAbsent("celeriac.tasks.skipped\u0000" + task + '\u0000' + reason,
                k -> Counter.builder("celeriac.tasks.skipped").tag("task", task).tag("reason", reason)
                        .register(registry)).increment();
    }

    public void retried(String task) {
        counter("celeriac.tasks.retried", task).increment();
    }

    // Looked up on every task: a registry lookup builds an id and tags each time, a map hit does not.
    private Counter counter(String name, String task) {
        return counters.computeIfAbsent(name + '\u0000' + task,
                k -> Counter.builder(name).tag("task", task).register(registry));
    }

    private Timer runtime(String task) {
        return timers.computeIfAbsent(task, t -> Timer.builder("celeriac.tasks.runtime").tag("task", t)
                .publishPercentileHistogram().register(registry));
    }

    // Only while the application runs: a run during start-up can race the creation of the Redis client.
    @Scheduled(every = "5s", delayed = "2s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void sample() {
        try {
            ready.set(queues.ready());
            readyAt = System.currentTimeMillis();
        } catch (Exception e) {
            LOG.debugf("queue depth unavailable: %s", e.getMessage());
        }
        try {
            waiting.set(delayed.size());
            resultKeys.set(redis.execute("DBSIZE").toLong());
        } catch (RuntimeException e) {
            LOG.debugf("Redis sizes unavailable: %s", e.getMessage());
        }
    }
}
