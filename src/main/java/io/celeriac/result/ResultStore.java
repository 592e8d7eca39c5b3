package io.celeriac.result;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.redis.LuaScript;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.smallrye.mutiny.Uni;

/**
 * Task states and results in Redis, under Celery's keys ({@code celery-task-meta-<id>}), each with a TTL
 * ({@code celeriac.result-expires}) so the store never grows without bound.
 */
@Singleton
public class ResultStore {

    static final String KEY_PREFIX = "celery-task-meta-";
    private static final DateTimeFormatter DATE_DONE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS")
            .withZone(ZoneOffset.UTC);

    /** Newest task ids, for the dashboard; capped. */
    public static final String RECENT = "celeriac-recent";
    /** Cluster-wide counters: tasks sent, and how many reached each ready or retry state. */
    public static final String STATS = "celeriac-stats";
    /** Every state change is published here as the stored JSON, for live views on any API instance. */
    public static final String EVENTS = "celeriac-task-events";
    static final int RECENT_KEPT = 500;

    /**
     * Shared by the scripts below. {@code write} stores a record unless it is guarded and the stored one is already
     * ready (so a stale STARTED or PROGRESS cannot overwrite a result), keeps the time the task started across later
     * writes, indexes the task as recent, counts it, and publishes the change. KEYS: the record, {@link #RECENT},
     * {@link #STATS}, {@link #EVENTS}; ARGV 1-7: json, ttl ms, guarded, task id, now ms, recent kept, counted state.
     */
    private static final String RECORDS = """
            local function is_ready(status)
              return status == 'SUCCESS' or status == 'FAILURE' or status == 'REVOKED'
            end
            local function stored()
              local current = redis.call('GET', KEYS[1])
              if current then
                local ok, decoded = pcall(cjson.decode, current)
                if ok then return decoded end
              end
              return nil
            end
            local function write()
              local json = ARGV[1]
              local current = stored()
              if current then
                if ARGV[3] == '1' and is_ready(current['status']) then
                  return 0
                end
                local started = current['date_started']
                if type(started) == 'string' then
                  json = string.gsub(json, '"date_started":null', '"date_started":"' .. started .. '"', 1)
                end
              end
              redis.call('SET', KEYS[1], json, 'PX', ARGV[2])
              redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
              redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[6]) + 1))
              if ARGV[7] ~= '' then
                redis.call('HINCRBY', KEYS[3], ARGV[7], 1)
              end
              redis.call('PUBLISH', KEYS[4], json)
              return 1
            end
            """;

    /** Writes a record ({@code write} above); returns 1 when written. */
    private static final LuaScript WRITE = new LuaScript(RECORDS + "return write()\n");

    /**
     * A worker's one round trip before it runs a task: refuses when the revocation key (KEYS[5]) exists, or when the
     * task already succeeded (ARGV[8] = '1': its result is kept, so a redelivery must not run it again), and otherwise
     * writes STARTED (ARGV[9] = '1') the way {@code write} does.
     */
    private static final LuaScript BEGIN = new LuaScript(RECORDS + """
            if redis.call('EXISTS', KEYS[5]) == 1 then
              return 'revoked'
            end
            if ARGV[8] == '1' then
              local current = stored()
              if current and current['status'] == 'SUCCESS' then
                return 'succeeded'
              end
            end
            if ARGV[9] == '1' then
              write()
            end
            return 'run'
            """);

    private static final LuaScript FORGET_UNLESS_READY = new LuaScript(RECORDS + """
            local current = stored()
            if current and is_ready(current['status']) then
              return 0
            end
            return redis.call('DEL', KEYS[1])
            """);

    private final RedisDataSource redis;
    private final ValueCommands<String, String> values;
    private final ObjectMapper mapper;
    private final CeleriacConfig config;

    public ResultStore(RedisDataSource redis, ObjectMapper mapper, CeleriacConfig config) {
        this.redis = redis;
        this.values = redis.value(String.class);
        this.mapper = mapper;
        this.config = config;
    }

    public static String key(String taskId) {
        return KEY_PREFIX + taskId;
    }

    /** Records a sent task: PENDING when its result is kept, IGNORED when not, so its id is known either way. */
    public void sent(String taskId, String name, boolean ignoreResult) {
        write(new TaskResult(ignoreResult ? TaskState.IGNORED : TaskState.PENDING, null, null, null, null, taskId,
                name, null), false);
    }

    /** What a worker may do with a task it received, as {@link #begin} finds it. */
    public enum Begin {
        /** Run it (and, when its result is kept, it is now STARTED). */
        RUN,
        /** Do not run it: the key that revokes it exists. */
        REVOKED,
        /** Do not run it: its kept result is already SUCCESS (a redelivery after the worker died before the ack). */
        SUCCEEDED
    }

    /**
     * A worker's check-in before running a task, in one round trip: refused when {@code revokedKey} exists or a kept
     * result is already SUCCESS; otherwise the task is recorded as STARTED (on this worker, as {@code meta} says)
     * when its result is kept.
     */
    public Begin begin(String taskId, String name, boolean resultKept, JsonNode meta, String revokedKey) {
        String[] args;
        if (resultKept) {
            TaskResult started = new TaskResult(TaskState.STARTED, meta, null, null, null, taskId, name, now());
            args = writeArgs(started, true, "1", "1");
        } else {
            // Nothing is written for an ignored result: the record's ARGV stay empty, not encoded for nothing.
            args = new String[] { "", "", "", "", "", "", "", "0", "0" };
        }
        var reply = BEGIN.run(redis, keys(taskId, revokedKey), args);
        return switch (reply.toString()) {
            case "revoked" -> Begin.REVOKED;
            case "succeeded" -> Begin.SUCCEEDED;
            default -> Begin.RUN;
        };
    }

    /** A state of the task's own choosing (Celery's {@code update_state}), with its meta as the result. */
    public boolean state(String taskId, String name, String state, JsonNode meta) {
        if (TaskState.isReady(state)) {
            throw new IllegalArgumentException("a task cannot report the ready state " + state
                    + " itself: return a value or throw instead");
        }
        return write(new TaskResult(state, meta, null, null, null, taskId, name, null), true);
    }

    /**
     * SUCCESS with the task's return value, completing when Redis has it: a worker's thread does not wait for the
     * reply, and the ack follows it on the event loop.
     */
    public Uni<Void> succeededLater(String taskId, String name, JsonNode value) {
        TaskResult success = new TaskResult(TaskState.SUCCESS, value, null, mapper.createArrayNode(), now(), taskId,
                name, null);
        return WRITE.runLater(redis.getReactive(), keys(taskId), writeArgs(success, true)).replaceWithVoid();
    }

    public void failed(String taskId, String name, Throwable error) {
        write(new TaskResult(TaskState.FAILURE, exception(error), traceback(error), mapper.createArrayNode(), now(),
                taskId, name, null), true);
    }

    private ObjectNode exception(Throwable error) {
        return mapper.createObjectNode()
                .put("exc_type", error.getClass().getSimpleName())
                .put("exc_message", String.valueOf(error.getMessage()))
                .put("exc_module", error.getClass().getPackageName());
    }

    /** A failed run that will be retried: RETRY, with the attempt and the error as meta. */
    public void retrying(String taskId, String name, int retries, Throwable error, Instant eta) {
        ObjectNode meta = exception(error).put("retries", retries).put("eta", eta.toString());
        write(new TaskResult(TaskState.RETRY, meta, null, null, null, taskId, name, null), true);
    }

    /** REVOKED, final: a revoked or expired task, with the reason. */
    public void revoked(String taskId, String name, String reason) {
        ObjectNode meta = mapper.createObjectNode().put("exc_type", "TaskRevokedError").put("exc_message", reason)
                .put("exc_module", "celery.exceptions");
        write(new TaskResult(TaskState.REVOKED, meta, null, mapper.createArrayNode(), now(), taskId, name, null),
                true);
    }

    /**
     * Drops a task's record unless it is ready: what an ignored result leaves behind once the task has run (a stored
     * failure or revocation stays).
     */
    public void forget(String taskId) {
        FORGET_UNLESS_READY.run(redis, List.of(key(taskId)));
    }

    /** As {@link #forget}, completing when Redis has done it (see {@link #succeededLater}). */
    public Uni<Void> forgetLater(String taskId) {
        return FORGET_UNLESS_READY.runLater(redis.getReactive(), List.of(key(taskId))).replaceWithVoid();
    }

    /** Drops a task's record whatever its state: only for a task sent again on purpose (a requeued dead letter). */
    public void forgetAnyway(String taskId) {
        redis.key().del(key(taskId));
    }

    public Optional<TaskResult> get(String taskId) {
        return parse(taskId, values.get(key(taskId)));
    }

    /** Reads a record fetched by its {@link #key(String)}; empty for none. */
    public Optional<TaskResult> parse(String taskId, String json) {
        if (json == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(mapper.readValue(json, TaskResult.class));
        } catch (IOException e) {
            throw new IllegalStateException("result of task " + taskId + " is not a Celery result record", e);
        }
    }

    private boolean write(TaskResult result, boolean guarded) {
        var reply = WRITE.run(redis, keys(result.taskId()), writeArgs(result, guarded));
        return reply != null && reply.toLong() == 1L;
    }

    private static List<String> keys(String taskId, String... more) {
        List<String> keys = new java.util.ArrayList<>(List.of(key(taskId), RECENT, STATS, EVENTS));
        keys.addAll(List.of(more));
        return keys;
    }

    /** ARGV of {@code write}, then {@code more}. */
    private String[] writeArgs(TaskResult result, boolean guarded, String... more) {
        String json;
        try {
            json = mapper.writeValueAsString(result);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the result of task " + result.taskId(), e);
        }
        String counted = switch (result.status()) {
            case TaskState.PENDING, TaskState.IGNORED -> "sent";
            case TaskState.SUCCESS, TaskState.FAILURE, TaskState.REVOKED, TaskState.RETRY -> result.status();
            default -> "";
        };
        String[] args = { json, Long.toString(config.resultExpires().toMillis()), guarded ? "1" : "0",
                result.taskId(), Long.toString(System.currentTimeMillis()), Integer.toString(RECENT_KEPT), counted };
        if (more.length == 0) {
            return args;
        }
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }

    private static String now() {
        return DATE_DONE.format(Instant.now());
    }

    private static String traceback(Throwable error) {
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        String trace = out.toString();
        // A deep stack would make every failure record huge; the top frames say where it broke.
        return trace.length() > 8000 ? trace.substring(0, 8000) + "\n\t..." : trace;
    }
}
