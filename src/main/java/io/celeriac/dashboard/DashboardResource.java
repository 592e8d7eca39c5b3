package io.celeriac.dashboard;

import java.io.IOException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.celeriac.redis.MultiGet;
import io.celeriac.client.DelayedQueue;
import io.celeriac.deadletter.DeadLetters;
import io.celeriac.metrics.TaskMetrics;
import io.celeriac.result.GroupProgress;
import io.celeriac.result.GroupStore;
import io.celeriac.result.ResultStore;
import io.celeriac.result.ResultViews;
import io.celeriac.result.TaskResult;
import io.celeriac.schedule.BeatResource;
import io.celeriac.security.OperatorRoles;
import io.celeriac.worker.WorkerRegistry;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * {@code GET /dashboard}: what the queue is doing, in one call, for the page at {@code /} (what Celery users run
 * Flower for): cluster-wide totals, states of the recent tasks, queue depths, the recent tasks themselves, live
 * workers and the beat schedule.
 */
@Path("/dashboard")
@Produces(MediaType.APPLICATION_JSON)
public class DashboardResource {

    static final int RECENT_SHOWN = 50;
    static final int RECENT_COUNTED = 200;
    static final int GROUPS_SHOWN = 10;

    private final RedisDataSource redis;
    private final MultiGet multiGet;
    private final ObjectMapper mapper;
    private final TaskMetrics metrics;
    private final DelayedQueue delayed;
    private final DeadLetters deadLetters;
    private final WorkerRegistry workers;
    private final BeatResource beat;
    private final GroupStore groupStore;
    private final ResultStore results;
    private final SecurityIdentity identity;
    private final Throughput throughput;

    public DashboardResource(RedisDataSource redis, ObjectMapper mapper, TaskMetrics metrics, DelayedQueue delayed,
            DeadLetters deadLetters, WorkerRegistry workers, BeatResource beat, GroupStore groupStore,
            ResultStore results, SecurityIdentity identity, Throughput throughput, MultiGet multiGet) {
        this.multiGet = multiGet;
        this.identity = identity;
        this.throughput = throughput;
        this.groupStore = groupStore;
        this.results = results;
        this.redis = redis;
        this.mapper = mapper;
        this.metrics = metrics;
        this.delayed = delayed;
        this.deadLetters = deadLetters;
        this.workers = workers;
        this.beat = beat;
    }

    @GET
    @RolesAllowed({OperatorRoles.VIEWER, OperatorRoles.ADMIN})
    public Map<String, Object> dashboard() {
        Map<String, Object> body = new LinkedHashMap<>();
        // Who is signed in, so the page shows what this operator may do.
        body.put("operator", Map.of("name", identity.getPrincipal().getName(),
                "admin", identity.hasRole(OperatorRoles.ADMIN)));
        Map<String, Long> totals = new TreeMap<>();
        redis.hash(String.class).hgetall(ResultViews.STATS).forEach((k, v) -> totals.put(k, Long.parseLong(v)));
        body.put("totals", totals);

        List<TaskResult> recent = recent();
        Map<String, Long> states = new TreeMap<>();
        recent.forEach(r -> states.merge(r.status(), 1L, Long::sum));
        body.put("states", states);

        Map<String, Object> queue = new LinkedHashMap<>();
        // As last sampled: a page refresh per open tab must not each ask the broker.
        OptionalLong ready = metrics.queueReady();
        queue.put("ready", ready.isPresent() ? ready.getAsLong() : null);
        queue.put("delayed", delayed.size());
        queue.put("dead_letters", deadLetters.count());
        body.put("queue", queue);

        List<Map<String, Object>> rows = recent.stream().map(this::row).toList();
        body.put("recent", rows.subList(0, Math.min(RECENT_SHOWN, rows.size())));
        body.put("runtimes", runtimes(rows));
        body.put("history", throughput.history());
        body.put("groups", groups());
        body.put("workers", workers.live());
        body.put("beat", beat.list());
        return body;
    }

    /** The newest groups and chords with their progress: members done (succeeded, failed) of all. */
    private List<Map<String, Object>> groups() {
        List<Map<String, Object>> rows = new ArrayList<>();
        List<GroupStore.Saved> groups = groupStore.recent(GROUPS_SHOWN);
        // Every member and body of every group shown, in one round trip: each group's records, then its body's.
        List<String> ids = new ArrayList<>();
        for (GroupStore.Saved group : groups) {
            ids.addAll(group.members());
            if (group.chordBody() != null) {
                ids.add(group.chordBody());
            }
        }
        List<Optional<TaskResult>> all = results.getAll(ids);
        int next = 0;
        for (GroupStore.Saved group : groups) {
            int count = group.members().size() + (group.chordBody() != null ? 1 : 0);
            List<Optional<TaskResult>> records = all.subList(next, next + count);
            next += count;
            GroupProgress progress = GroupProgress.of(records.subList(0, group.members().size()));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", group.id());
            row.put("kind", group.chordBody() != null ? "chord" : "group");
            row.put("size", progress.size());
            row.put("succeeded", progress.succeeded());
            row.put("failed", progress.failed());
            if (group.chordBody() != null) {
                Optional<TaskResult> body = records.get(records.size() - 1);
                row.put("body", Map.of("id", group.chordBody(), "name", body.map(TaskResult::name).orElse(""),
                        "state", body.map(TaskResult::status).orElse("PENDING")));
            }
            rows.add(row);
        }
        return rows;
    }

    private List<TaskResult> recent() {
        List<String> ids = redis.sortedSet(String.class).zrange(ResultViews.RECENT, 0, RECENT_COUNTED - 1,
                new io.quarkus.redis.datasource.sortedset.ZRangeArgs().rev());
        if (ids.isEmpty()) {
            return List.of();
        }
        Map<String, String> records = multiGet.get(ids.stream().map(ResultStore::key).toList());
        List<TaskResult> found = new ArrayList<>();
        for (String id : ids) {
            String json = records.get(ResultStore.key(id));
            if (json == null) {
                continue;
            }
            try {
                found.add(mapper.readValue(json, TaskResult.class));
            } catch (IOException e) {
                // not a Celeriac record: skip it
            }
        }
        return found;
    }

    private Map<String, Object> row(TaskResult r) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", r.taskId());
        row.put("name", r.name());
        row.put("state", r.status());
        row.put("started", r.dateStarted());
        row.put("done", r.dateDone());
        row.put("runtime_ms", r.dateStarted() != null && r.dateDone() != null
                ? Duration.between(LocalDateTime.parse(r.dateStarted()), LocalDateTime.parse(r.dateDone())).toMillis()
                : null);
        JsonNode result = r.result();
        row.put("progress", !r.ready() && result != null && result.has("current") && result.has("total")
                ? Map.of("current", result.get("current").asLong(), "total", result.get("total").asLong())
                : null);
        row.put("error", result != null && result.has("exc_type") && !r.successful()
                ? result.get("exc_type").asText() + ": " + errorMessage(result.path("exc_message"))
                : null);
        return row;
    }

    /** Runtime percentiles per task name, over the recent tasks that finished (cluster-wide, from their records). */
    static List<Map<String, Object>> runtimes(List<Map<String, Object>> rows) {
        Map<String, List<Long>> byName = new TreeMap<>();
        for (Map<String, Object> row : rows) {
            if (row.get("runtime_ms") instanceof Long ms && row.get("name") instanceof String name) {
                byName.computeIfAbsent(name, n -> new ArrayList<>()).add(ms);
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        byName.forEach((name, times) -> {
            times.sort(null);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", name);
            row.put("count", times.size());
            row.put("p50_ms", percentile(times, 50));
            row.put("p95_ms", percentile(times, 95));
            row.put("max_ms", times.get(times.size() - 1));
            out.add(row);
        });
        return out;
    }

    /** Nearest rank: the smallest value with at least p % of the values at or below it. */
    static long percentile(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /** Celery stores an error's arguments as a list; a message is mostly its one string. */
    private static String errorMessage(JsonNode message) {
        if (message.isArray()) {
            return message.size() == 1 && message.get(0).isTextual() ? message.get(0).asText() : message.toString();
        }
        return message.asText();
    }
}
