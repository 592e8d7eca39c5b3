package io.celeriac.worker;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.jboss.logging.Logger;

import io.celeriac.redis.MultiGet;
import io.celeriac.config.CeleriacConfig;
import io.celeriac.config.Node;
import io.celeriac.role.Role;
import io.celeriac.role.Roles;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.sortedset.ScoreRange;
import io.quarkus.redis.datasource.sortedset.SortedSetCommands;
import io.quarkus.redis.datasource.value.SetArgs;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Live workers, as Celery's {@code inspect active} would show them but without a broadcast: each worker writes a
 * heartbeat with its running tasks to Redis, and a worker whose heartbeat is three intervals old counts as gone.
 */
@Singleton
public class WorkerRegistry {

    private static final Logger LOG = Logger.getLogger(WorkerRegistry.class);
    static final String INDEX = "celeriac-workers";
    static final String KEY_PREFIX = "celeriac-worker-";

    private final ValueCommands<String, String> values;
    private final SortedSetCommands<String, String> index;
    private final ObjectMapper mapper;
    private final CeleriacConfig config;
    private final Roles roles;
    private final String name;
    private final String hostname = Node.hostname();
    private final String startedAt = Instant.now().toString();
    /** By a token of each run, not the task id: two copies of one task on one worker are two runs. */
    private final Map<Long, WorkerInfo.ActiveTask> active = new ConcurrentHashMap<>();
    private final AtomicLong runs = new AtomicLong();
    private IntSupplier abandoned = () -> 0;

    private final MultiGet multiGet;

    public WorkerRegistry(RedisDataSource redis, ObjectMapper mapper, CeleriacConfig config, Roles roles,
            MultiGet multiGet) {
        this.multiGet = multiGet;
        this.values = redis.value(String.class);
        this.index = redis.sortedSet(String.class);
        this.mapper = mapper;
        this.config = config;
        this.roles = roles;
        this.name = config.worker().name().orElseGet(Node::id);
    }

    public String name() {
        return name;
    }

    /** A run begins; the token ends it. */
    long started(String taskId, String taskName) {
        long token = runs.incrementAndGet();
        active.put(token, new WorkerInfo.ActiveTask(taskId, taskName, Instant.now().toString()));
        return token;
    }

    void finished(long token) {
        active.remove(token);
    }

    /** Where the heartbeat reads how many abandoned attempts still run. */
    void abandoned(IntSupplier count) {
        this.abandoned = count;
    }

    public int activeCount() {
        return active.size();
    }

    @Scheduled(every = "${celeriac.worker.heartbeat-interval}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void heartbeat() {
        if (!roles.has(Role.WORKER)) {
            return;
        }
        Instant now = Instant.now();
        WorkerInfo info = new WorkerInfo(name, hostname, ProcessHandle.current().pid(), config.worker().concurrency(),
                startedAt, now.toString(), List.copyOf(active.values()), abandoned.getAsInt());
        try {
            values.set(KEY_PREFIX + name, mapper.writeValueAsString(info), new SetArgs().px(expiryMillis()));
            index.zadd(INDEX, now.toEpochMilli(), name);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("worker %s could not write its heartbeat: %s", name, e.getMessage());
        }
    }

    /** The workers whose heartbeat is recent, by name. */
    public List<WorkerInfo> live() {
        long oldest = System.currentTimeMillis() - expiryMillis();
        index.zremrangebyscore(INDEX, new ScoreRange<>(Double.NEGATIVE_INFINITY, (double) oldest));
        List<String> names = index.zrangebyscore(INDEX, new ScoreRange<>((double) oldest, Double.POSITIVE_INFINITY));
        if (names.isEmpty()) {
            return List.of();
        }
        Collection<String> records = multiGet.get(names.stream().map(n -> KEY_PREFIX + n).toList()).values();
        List<WorkerInfo> workers = new ArrayList<>();
        for (String json : records) {
            if (json == null) {
                continue;
            }
            try {
                workers.add(mapper.readValue(json, WorkerInfo.class));
            } catch (IOException e) {
                LOG.debugf("skipping an unreadable worker record: %s", e.getMessage());
            }
        }
        workers.sort((a, b) -> Objects.compare(a.name(), b.name(), String::compareTo));
        return workers;
    }

    /** A worker that stops on purpose leaves the list at once instead of after three missed beats. */
    void leave(@Observes ShutdownEvent event) {
        if (!roles.has(Role.WORKER)) {
            return;
        }
        try {
            index.zrem(INDEX, name);
            values.getdel(KEY_PREFIX + name);
        } catch (RuntimeException e) {
            LOG.debugf("worker %s could not deregister: %s", name, e.getMessage());
        }
    }

    private long expiryMillis() {
        return 3 * config.worker().heartbeatInterval().toMillis();
    }
}
