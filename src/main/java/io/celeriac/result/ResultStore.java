package io.celeriac.result;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.WireJson;
import io.celeriac.redis.LuaScript;
import io.celeriac.tracing.TaskTracing;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.value.ValueCommands;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;

/**
 * Task states and results in Redis, under Celery's keys ({@code celery-task-meta-<id>}), each with a TTL
 * ({@code celeriac.result-expires}) so the store never grows without bound. The machinery's own: its methods drive
 * the state machine (a task's writes must follow it), so applications read results through the
 * {@code AsyncResult} a send returns or {@code TaskClient.result(id)} rebuilds, never through this.
 */
@Singleton
public class ResultStore {

    static final String KEY_PREFIX = "celery-task-meta-";
    private static final String DELIVERIES_PREFIX = "celeriac-deliveries-";
    /** Per task: the states it went through, with when, where and which trace (see {@link #timeline}). */
    static final String TIMELINE_PREFIX = "celeriac-timeline-";
    /** The largest call (args and kwargs as JSON) a timeline keeps. */
    public static final int KEPT_CALL_SIZE = 16 * 1024;
    private static final DateTimeFormatter DATE_DONE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS")
            .withZone(ZoneOffset.UTC);

    /** Newest task ids, for the dashboard; capped. */
    public static final String RECENT = "celeriac-recent";
    /** Cluster-wide counters: tasks sent, and how many reached each ready or retry state. */
    public static final String STATS = "celeriac-stats";
    /**
     * Every state change is published here as a small event ({@code task_id, name, status, date_done}), for live
     * views on any API instance: not the record, whose result or traceback can be large.
     */
    public static final String EVENTS = "celeriac-task-events";
    static final int RECENT_KEPT = 500;
    private static final int WRITE_WINDOW = 64;
    private static final String CELERY_EXCEPTIONS = "celery.exceptions";

    /**
     * Shared by the scripts below. {@code status_of} reads the state from the head of a record (the status is the
     * first field of Celery's records and ours), so a guard never copies a large result out of Redis nor decodes it.
     * {@code write} stores a record unless it is guarded and the stored one is already ready (so a stale STARTED or
     * PROGRESS cannot overwrite a result), indexes the task as recent, counts it, publishes the event, and adds the
     * state to the task's timeline (one entry per state in a row: a task reporting progress a thousand times keeps
     * its latest, not a thousand). KEYS: the record, {@link #RECENT}, {@link #STATS}, {@link #EVENTS}, the
     * timeline; ARGV 1-9: json, ttl ms, guarded, task id, now ms, recent kept, counted state, event, timeline entry
     * (JSON starting with its state, or empty for none).
     */
    private static final String RECORDS = """
            local function is_ready(status)
              return status == 'SUCCESS' or status == 'FAILURE' or status == 'REVOKED'
            end
            local function status_of(key)
              local head = redis.call('GETRANGE', key, 0, 95)
              if head == '' then return nil end
              return string.match(head, '"status"%s*:%s*"([%w_]+)"')
            end
            local function write()
              if ARGV[3] == '1' and is_ready(status_of(KEYS[1])) then
                return 0
              end
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
              -- Celery's clients wait on the record's own channel (AsyncResult.get subscribes, then reads).
              redis.call('PUBLISH', KEYS[1], ARGV[1])
              redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
              redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[6]) + 1))
              if ARGV[7] ~= '' then
                redis.call('HINCRBY', KEYS[3], ARGV[7], 1)
              end
              redis.call('PUBLISH', KEYS[4], ARGV[8])
              if ARGV[9] ~= '' then
                local state = string.match(ARGV[9], '^{"state":"[%w_]+"')
                local last = redis.call('LINDEX', KEYS[5], -1)
                -- A STARTED again is a redelivery, worth its own line: the worker before it died.
                if last and state and state ~= '{"state":"STARTED"' and string.sub(last, 1, #state) == state then
                  redis.call('LSET', KEYS[5], -1, ARGV[9])
                else
                  redis.call('RPUSH', KEYS[5], ARGV[9])
                  redis.call('LTRIM', KEYS[5], -64, -1)
                end
                redis.call('PEXPIRE', KEYS[5], ARGV[2])
              end
              return 1
            end
            """;

    /** Writes a record ({@code write} above); returns 1 when written. */
    private static final LuaScript WRITE = new LuaScript(RECORDS + "return write()\n");

    /**
     * A worker's one round trip before it runs a task. Refuses when the revocation key (KEYS[6]) exists, or when the
     * record is already ready (a redelivery after a lost ack, a duplicate, a retry of a task declared final). Counts
     * redeliveries (ARGV[11] = '1') in KEYS[7], for {@code ARGV[12]} ms, so a message that keeps coming back is
     * stopped. Otherwise writes STARTED (ARGV[10] = '1') the way {@code write} does. Answers {@code revoked},
     * {@code ready:<state>} or {@code run:<deliveries>}.
     */
    private static final LuaScript BEGIN = new LuaScript(RECORDS + """
            if redis.call('EXISTS', KEYS[6]) == 1 then
              return 'revoked'
            end
            local current = status_of(KEYS[1])
            if is_ready(current) then
              return 'ready:' .. current
            end
            local deliveries = 1
            if ARGV[11] == '1' then
              deliveries = redis.call('INCR', KEYS[7]) + 1
              redis.call('PEXPIRE', KEYS[7], ARGV[12])
            end
            if ARGV[10] == '1' then
              write()
            end
            return 'run:' .. deliveries
            """);

    /** Drops a record and its timeline (KEYS[2]) unless the record is ready. */
    private static final LuaScript FORGET_UNLESS_READY = new LuaScript(RECORDS + """
            if is_ready(status_of(KEYS[1])) then
              return 0
            end
            return redis.call('DEL', KEYS[1], KEYS[2])
            """);

    private final RedisDataSource redis;
    private final ValueCommands<String, String> values;
    private final ObjectMapper json = WireJson.MAPPER;
    private final CeleriacConfig config;

    public ResultStore(RedisDataSource redis, CeleriacConfig config) {
        this.redis = redis;
        this.values = redis.value(String.class);
        this.config = config;
    }

    public static String key(String taskId) {
        return KEY_PREFIX + taskId;
    }

    /** Records a sent task: PENDING when its result is kept, IGNORED when not, so its id is known either way. */
    public void sent(String taskId, String name, boolean ignoreResult) {
        write(sentRecord(taskId, name, ignoreResult), false);
    }

    private static TaskResult sentRecord(String taskId, String name, boolean ignoreResult) {
        return new TaskResult(ignoreResult ? TaskState.IGNORED : TaskState.PENDING, null, null, null, null, taskId,
                name, null);
    }

    /** A task about to be sent, for {@link #sentAll}. */
    public record Sent(String taskId, String name, boolean ignoreResult) {
    }

    /**
     * As {@link #sent} for many tasks (a workflow's), the writes sent together rather than one round trip each;
     * returns once Redis has them all, within {@code timeout}.
     */
    public void sentAll(List<Sent> tasks, Duration timeout) {
        sentAll(tasks, timeout, false);
    }

    /**
     * As {@link #sentAll}, leaving alone a record that is already ready: for a message that may have been published
     * and run before (the outbox publishes a row again after a crash between the confirm and the delete).
     */
    public void sentAllUnlessReady(List<Sent> tasks, Duration timeout) {
        sentAll(tasks, timeout, true);
    }

    private void sentAll(List<Sent> tasks, Duration timeout, boolean guarded) {
        long deadline = System.nanoTime() + timeout.toNanos();
        // In windows: the client's pool queues at most 256 waiting requests.
        for (int from = 0; from < tasks.size(); from += WRITE_WINDOW) {
            List<Uni<Response>> writes = new ArrayList<>(WRITE_WINDOW);
            for (Sent task : tasks.subList(from, Math.min(tasks.size(), from + WRITE_WINDOW))) {
                TaskResult record = sentRecord(task.taskId(), task.name(), task.ignoreResult());
                writes.add(WRITE.runLater(redis.getReactive(), keys(task.taskId()), writeArgs(record, guarded, null)));
            }
            Uni.join().all(writes).andFailFast().await()
                    .atMost(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
    }

    /** What a worker may do with a task it received, as {@link #begin} finds it. */
    public sealed interface Begin {
        /** Run it (and, when its result is kept, it is now STARTED); this is delivery number {@code deliveries}. */
        record Run(int deliveries) implements Begin {
        }

        /** Do not run it: the key that revokes it exists. */
        record Revoked() implements Begin {
        }

        /** Do not run it: its record is already final (SUCCESS, FAILURE or REVOKED). */
        record Ready(String state) implements Begin {
        }
    }

    /**
     * A worker's check-in before running a task, in one round trip: refused when {@code revokedKey} exists or the
     * record is already ready; otherwise the task is recorded as STARTED at {@code startedAt} (on this worker, as
     * {@code meta} says) when its result is kept. A {@code redelivered} message is counted, and the answer says how
     * many times it has been delivered.
     */
    public Begin begin(String taskId, String name, boolean resultKept, JsonNode meta, String revokedKey,
            boolean redelivered, String startedAt, String queue, JsonNode args, JsonNode kwargs) {
        String[] write;
        if (resultKept) {
            TaskResult started = new TaskResult(TaskState.STARTED, meta, null, null, null, taskId, name, startedAt);
            ObjectNode seen = json.createObjectNode();
            seen.put("worker", meta.path("hostname").asText("") + " (pid " + meta.path("pid").asText("?") + ")");
            seen.put("redelivered", redelivered);
            seen.put("queue", queue);
            // The call as the worker got it, for an operator's task view and its retry button; a large one is only
            // measured, so the timeline never holds megabytes of arguments.
            ObjectNode call = json.createObjectNode();
            call.set("args", args);
            call.set("kwargs", kwargs);
            int size = call.toString().length();
            if (size <= KEPT_CALL_SIZE) {
                seen.setAll(call);
            } else {
                seen.put("args_size", size);
            }
            write = writeArgs(started, true, seen);
        } else {
            // Nothing is written for an ignored result: the record's ARGV stay empty, not encoded for nothing.
            write = new String[] { "", "", "", "", "", "", "", "", "" };
        }
        String[] all = Arrays.copyOf(write, write.length + 3);
        all[write.length] = resultKept ? "1" : "0";
        all[write.length + 1] = redelivered ? "1" : "0";
        all[write.length + 2] = Long.toString(config.resultExpires().toMillis());
        String reply = BEGIN.run(redis, keys(taskId, revokedKey, DELIVERIES_PREFIX + taskId), all).toString();
        if (reply.equals("revoked")) {
            return new Begin.Revoked();
        }
        if (reply.startsWith("ready:")) {
            return new Begin.Ready(reply.substring("ready:".length()));
        }
        return new Begin.Run(Integer.parseInt(reply.substring("run:".length())));
    }

    /**
     * A state of the task's own choosing (Celery's {@code update_state}), with its meta as the result. False when the
     * record was already final, so the write was refused.
     */
    public boolean state(String taskId, String name, String state, JsonNode meta, String startedAt) {
        if (TaskState.isReady(state)) {
            throw new IllegalArgumentException("a task cannot report the ready state " + state
                    + " itself: return a value or throw instead");
        }
        return write(new TaskResult(state, meta, null, null, null, taskId, name, startedAt), true);
    }

    /**
     * SUCCESS with the task's return value, completing when Redis has it: a worker's thread does not wait for the
     * reply, and the ack follows it on the event loop. Bounded by {@code timeout}: a reply that never comes (a
     * half-open connection) fails the write rather than wedging the worker's slot.
     */
    public Uni<Void> succeededLater(String taskId, String name, JsonNode value, String startedAt, Duration timeout) {
        TaskResult success = new TaskResult(TaskState.SUCCESS, value, null, json.createArrayNode(), now(), taskId,
                name, startedAt);
        return WRITE.runLater(redis.getReactive(), keys(taskId), writeArgs(success, true, null))
                .ifNoItem().after(timeout).fail().replaceWithVoid();
    }

    /** As {@link #succeededLater}, on the calling thread; false when the record was already final. */
    public boolean succeeded(String taskId, String name, JsonNode value, String startedAt) {
        return write(new TaskResult(TaskState.SUCCESS, value, null, json.createArrayNode(), now(), taskId, name,
                startedAt), true);
    }

    /**
     * A final state reached without running the task, with an error already in Celery's form: what a chain's tasks
     * after a failed one get, and a chord's body when a member failed. False when the record was already final.
     */
    public boolean ended(String taskId, String name, String state, JsonNode error, String traceback) {
        if (!TaskState.isReady(state) || TaskState.SUCCESS.equals(state)) {
            throw new IllegalArgumentException("not a failed state: " + state);
        }
        return write(new TaskResult(state, error, traceback, json.createArrayNode(), now(), taskId, name, null), true);
    }

    /** FAILURE with the error as Celery stores it; false when the record was already final. */
    public boolean failed(String taskId, String name, Throwable error, String startedAt) {
        return write(new TaskResult(TaskState.FAILURE, exception(error), traceback(error), json.createArrayNode(),
                now(), taskId, name, startedAt), true);
    }

    /** As {@link #failed(String, String, Throwable, String)} for a task that never started. */
    public boolean failed(String taskId, String name, Throwable error) {
        return failed(taskId, name, error, null);
    }

    /**
     * An error as Celery stores it, so a Python client raises it: {@code exc_message} is the list of the exception's
     * arguments, and errors Celery has its own class for go by that class's name and module.
     */
    /** The error a REVOKED record holds: Celery's {@code TaskRevokedError} with the reason. */
    public static ObjectNode revokedError(String reason) {
        ObjectNode meta = WireJson.MAPPER.createObjectNode().put("exc_type", "TaskRevokedError");
        meta.putArray("exc_message").add(reason);
        return meta.put("exc_module", CELERY_EXCEPTIONS);
    }

    public static ObjectNode exceptionOf(Throwable error) {
        return exception(WireJson.MAPPER, error);
    }

    /** The traceback stored with a failure (the top of the stack trace). */
    public static String tracebackOf(Throwable error) {
        return traceback(error);
    }

    static ObjectNode exception(ObjectMapper json, Throwable error) {
        String type = error.getClass().getSimpleName();
        String module = error.getClass().getPackageName();
        String message = message(error);
        if (error instanceof io.celeriac.task.TimeLimitExceeded) {
            type = "TimeLimitExceeded";
            module = CELERY_EXCEPTIONS;
        } else if (error instanceof CeleryException celery) {
            type = celery.excType();
            module = celery.excModule();
        } else if (error instanceof io.celeriac.task.UnknownTaskException unknown) {
            type = "NotRegistered";
            module = CELERY_EXCEPTIONS;
            message = unknown.task();
        }
        ObjectNode exception = json.createObjectNode().put("exc_type", type);
        exception.putArray("exc_message").add(message);
        return exception.put("exc_module", module);
    }

    private ObjectNode exception(Throwable error) {
        return exception(json, error);
    }

    /**
     * A failed run that will be retried: RETRY, with the attempt and the error as meta. False when the record is
     * already final, and then no retry may be sent.
     */
    public boolean retrying(String taskId, String name, int retries, Throwable error, Instant eta,
            String startedAt) {
        ObjectNode meta = exception(error).put("retries", retries).put("eta", eta.toString());
        return write(new TaskResult(TaskState.RETRY, meta, null, null, null, taskId, name, startedAt), true);
    }

    /** REVOKED, final: a revoked or expired task, with the reason. */
    public void revoked(String taskId, String name, String reason) {
        ObjectNode meta = revokedError(reason);
        write(new TaskResult(TaskState.REVOKED, meta, null, json.createArrayNode(), now(), taskId, name, null),
                true);
    }

    /**
     * Drops a task's record unless it is ready: what an ignored result leaves behind once the task has run (a stored
     * failure or revocation stays).
     */
    public void forget(String taskId) {
        FORGET_UNLESS_READY.run(redis, List.of(key(taskId), TIMELINE_PREFIX + taskId));
    }

    /** As {@link #forget}, completing when Redis has done it (see {@link #succeededLater}). */
    public Uni<Void> forgetLater(String taskId, Duration timeout) {
        return FORGET_UNLESS_READY.runLater(redis.getReactive(), List.of(key(taskId), TIMELINE_PREFIX + taskId))
                .ifNoItem().after(timeout).fail().replaceWithVoid();
    }

    /**
     * Drops a task's record and timeline whatever its state: Celery's {@code forget}, and a requeued dead letter (sent
     * again on purpose).
     */
    public void forgetAnyway(String taskId) {
        redis.key().del(key(taskId), DELIVERIES_PREFIX + taskId, TIMELINE_PREFIX + taskId);
    }

    /** The records of many tasks in one round trip, in the order asked. */
    public List<Optional<TaskResult>> getAll(List<String> taskIds) {
        if (taskIds.isEmpty()) {
            return List.of();
        }
        Map<String, String> found = values.mget(taskIds.stream().map(ResultStore::key).toArray(String[]::new));
        List<Optional<TaskResult>> records = new ArrayList<>(taskIds.size());
        for (String id : taskIds) {
            records.add(parse(id, found.get(key(id))));
        }
        return records;
    }

    public Optional<TaskResult> get(String taskId) {
        return parse(taskId, values.get(key(taskId)));
    }

    /** Reads a record fetched by its {@link #key(String)}; empty for none. */
    public Optional<TaskResult> parse(String taskId, String record) {
        if (record == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(json.readValue(record, TaskResult.class));
        } catch (IOException e) {
            throw new IllegalStateException("result of task " + taskId + " is not a Celery result record", e);
        }
    }

    private boolean write(TaskResult result, boolean guarded) {
        var reply = WRITE.run(redis, keys(result.taskId()), writeArgs(result, guarded, null));
        return reply != null && reply.toLong() == 1L;
    }

    private static List<String> keys(String taskId, String... more) {
        List<String> keys = new ArrayList<>(List.of(key(taskId), RECENT, STATS, EVENTS, TIMELINE_PREFIX + taskId));
        keys.addAll(List.of(more));
        return keys;
    }

    /** ARGV of {@code write}; {@code seen} adds to the timeline's entry. */
    private String[] writeArgs(TaskResult result, boolean guarded, ObjectNode seen) {
        String record = encode(result);
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("task_id", result.taskId());
        event.put("name", result.name());
        event.put("status", result.status());
        event.put("date_done", result.dateDone());
        String counted = switch (result.status()) {
            case TaskState.PENDING, TaskState.IGNORED -> "sent";
            case TaskState.SUCCESS, TaskState.FAILURE, TaskState.REVOKED, TaskState.RETRY -> result.status();
            default -> "";
        };
        return new String[] { record, Long.toString(config.resultExpires().toMillis()), guarded ? "1" : "0",
                result.taskId(), Long.toString(System.currentTimeMillis()), Integer.toString(RECENT_KEPT), counted,
                encode(event), timelineEntry(result, seen) };
    }

    /** What the timeline keeps of a state: when, and what an operator asks next (where, which try, which trace). */
    private String timelineEntry(TaskResult result, ObjectNode seen) {
        if (TaskState.IGNORED.equals(result.status())) {
            // No record is kept, so no view: nothing to show it in.
            return "";
        }
        ObjectNode entry = json.createObjectNode();
        // First, as the script reads it to fold repeated states into one entry.
        entry.put("state", result.status());
        entry.put("at", now());
        if (TaskState.RETRY.equals(result.status()) && result.result() != null) {
            entry.set("retries", result.result().path("retries"));
        }
        String trace = TaskTracing.traceId();
        if (trace != null) {
            entry.put("trace_id", trace);
        }
        if (seen != null) {
            entry.setAll(seen);
        }
        return entry.toString();
    }

    /** A task's timeline, oldest first: an entry per state it went through (see {@code write}); empty for none. */
    public List<JsonNode> timeline(String taskId) {
        List<JsonNode> entries = new ArrayList<>();
        for (String entry : redis.list(String.class).lrange(TIMELINE_PREFIX + taskId, 0, -1)) {
            try {
                entries.add(json.readTree(entry));
            } catch (IOException e) {
                throw new IllegalStateException("timeline of task " + taskId + " holds something else", e);
            }
        }
        return entries;
    }

    private String encode(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a record", e);
        }
    }

    /** The time format of {@code date_done} and {@code date_started}. */
    public static String now() {
        return DATE_DONE.format(Instant.now());
    }

    /** An exception's message, even from an exception whose {@code getMessage} throws. */
    private static String message(Throwable error) {
        try {
            return String.valueOf(error.getMessage());
        } catch (RuntimeException e) {
            return error.getClass().getName() + " (its message could not be read: " + e + ")";
        }
    }

    private static String traceback(Throwable error) {
        try {
            StringWriter out = new StringWriter();
            error.printStackTrace(new PrintWriter(out));
            String trace = out.toString();
            // A deep stack would make every failure record huge; the top frames say where it broke.
            return trace.length() > 8000 ? trace.substring(0, 8000) + "\n\t..." : trace;
        } catch (RuntimeException e) {
            return error.getClass().getName() + " (its stack trace could not be printed: " + e + ")";
        }
    }
}
