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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.WireJson;
import io.celeriac.redis.LuaScript;
import io.celeriac.redis.MultiGet;
import io.celeriac.redis.RedisTopology;
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
    /** Per task: the states it went through, with when, where and which trace (see {@link #timeline}). */
    static final String TIMELINE = "timeline";
    private static final String DELIVERIES = "deliveries";
    /** The largest call (args and kwargs as JSON) a timeline keeps. */
    public static final int KEPT_CALL_SIZE = 16 * 1024;
    private static final DateTimeFormatter DATE_DONE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS")
            .withZone(ZoneOffset.UTC);

    private static final int WRITE_WINDOW = 64;
    private static final String CELERY_EXCEPTIONS = "celery.exceptions";

    /**
     * Shared by the scripts below. {@code status_of} reads the state from the head of a record (the status is the
     * first field of Celery's records and ours), so a guard never copies a large result out of Redis nor decodes it.
     * {@code write} stores a record unless it is guarded and the stored one is already ready (so a stale STARTED or
     * PROGRESS cannot overwrite a result), publishes it on its own channel, and adds the state to the task's timeline
     * (one entry per state in a row: a task reporting progress a thousand times keeps its latest, not a thousand).
     * Only the task's own keys (see {@link #keyOf}): the views across tasks are {@link ResultViews}'.
     * KEYS: the record, the timeline; ARGV 1-3: json, ttl ms, guarded; ARGV[4]: timeline entry (JSON starting with
     * its state, or empty for none).
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
              if ARGV[4] ~= '' then
                local state = string.match(ARGV[4], '^{"state":"[%w_]+"')
                local last = redis.call('LINDEX', KEYS[2], -1)
                -- A STARTED again is a redelivery, worth its own line: the worker before it died.
                if last and state and state ~= '{"state":"STARTED"' and string.sub(last, 1, #state) == state then
                  redis.call('LSET', KEYS[2], -1, ARGV[4])
                else
                  redis.call('RPUSH', KEYS[2], ARGV[4])
                  redis.call('LTRIM', KEYS[2], -64, -1)
                end
                redis.call('PEXPIRE', KEYS[2], ARGV[2])
              end
              return 1
            end
            """;

    /** Writes a record ({@code write} above); returns 1 when written. */
    private static final LuaScript WRITE = LuaScript.acrossSlots(RECORDS + "return write()\n");

    /**
     * A worker's one round trip before it runs a task. Refuses when the revocation key (KEYS[3]) exists, or when the
     * record is already ready (a redelivery after a lost ack, a duplicate, a retry of a task declared final). Counts
     * redeliveries (ARGV[6] = '1') in KEYS[4], for {@code ARGV[7]} ms, so a message that keeps coming back is
     * stopped. Otherwise writes STARTED (ARGV[5] = '1') the way {@code write} does. Answers {@code revoked},
     * {@code ready:<state>} or {@code run:<deliveries>}.
     */
    private static final LuaScript BEGIN = LuaScript.acrossSlots(RECORDS + """
            if redis.call('EXISTS', KEYS[3]) == 1 then
              return 'revoked'
            end
            local current = status_of(KEYS[1])
            if is_ready(current) then
              return 'ready:' .. current
            end
            local deliveries = 1
            if ARGV[6] == '1' then
              deliveries = redis.call('INCR', KEYS[4]) + 1
              redis.call('PEXPIRE', KEYS[4], ARGV[7])
            end
            if ARGV[5] == '1' then
              write()
            end
            return 'run:' .. deliveries
            """);

    /** Drops a record and its timeline (KEYS[2]) unless the record is ready. */
    private static final LuaScript FORGET_UNLESS_READY = LuaScript.acrossSlots(RECORDS + """
            if is_ready(status_of(KEYS[1])) then
              return 0
            end
            return redis.call('DEL', KEYS[1], KEYS[2])
            """);

    private final RedisDataSource redis;
    private final ValueCommands<String, String> values;
    private final ObjectMapper json = WireJson.MAPPER;
    private final CeleriacConfig config;
    private final ResultViews views;
    private final RedisTopology topology;
    private final MultiGet multiGet;

    public ResultStore(RedisDataSource redis, CeleriacConfig config, ResultViews views, RedisTopology topology,
            MultiGet multiGet) {
        this.redis = redis;
        this.values = redis.value(String.class);
        this.config = config;
        this.views = views;
        this.topology = topology;
        this.multiGet = multiGet;
        if (config.resultReplicas() > 0 && topology.clustered()) {
            throw new IllegalStateException("celeriac.result-replicas=" + config.resultReplicas() + " needs a Redis "
                    + "with replicas behind one primary (standalone or Sentinel): on Redis Cluster the client cannot "
                    + "send WAIT to the shard that took the write");
        }
    }

    public static String key(String taskId) {
        return KEY_PREFIX + taskId;
    }

    /**
     * A key of Celeriac's own about a task ({@code what} says which), which the record's scripts touch with it:
     * {@code celeriac-<what>-<id>} on one Redis, {@code {celery-task-meta-<id>}.<what>} on Redis Cluster, in the
     * record's hash slot (see RedisTopology).
     */
    public String keyOf(String taskId, String what) {
        return topology.besides(key(taskId), "celeriac-" + what + "-" + taskId, "." + what);
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
                Write write = prepare(sentRecord(task.taskId(), task.name(), task.ignoreResult()), guarded, null);
                writes.add(WRITE.runLater(redis.getReactive(), keys(task.taskId()), write.argv())
                        .invoke(reply -> viewed(write, reply)));
            }
            Uni.join().all(writes).andFailFast().await()
                    .atMost(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        }
    }

    /** What a worker may do with a task it received, as {@link #begin} finds it. */
    public sealed interface Begin {
        /** Run it (now STARTED if that was asked for); this is delivery number {@code deliveries}. */
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
     * {@code meta} says) when {@code recordStarted} (its result is kept and celeriac.worker.track-started is on). A
     * {@code redelivered} message is counted, and the answer says how many times it has been delivered.
     */
    public Begin begin(String taskId, String name, boolean recordStarted, JsonNode meta, String revokedKey,
            boolean redelivered, String startedAt, String queue, JsonNode args, JsonNode kwargs) {
        Write write = null;
        if (recordStarted) {
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
            write = prepare(started, true, seen);
        }
        // Nothing is written for an ignored result: the record's ARGV stay empty, not encoded for nothing.
        String[] record = write == null ? new String[] { "", "", "", "" } : write.argv();
        String[] all = Arrays.copyOf(record, record.length + 3);
        all[record.length] = recordStarted ? "1" : "0";
        all[record.length + 1] = redelivered ? "1" : "0";
        all[record.length + 2] = Long.toString(config.resultExpires().toMillis());
        String reply = BEGIN.run(redis, keys(taskId, revokedKey, keyOf(taskId, DELIVERIES)), all).toString();
        if (reply.equals("revoked")) {
            return new Begin.Revoked();
        }
        if (reply.startsWith("ready:")) {
            return new Begin.Ready(reply.substring("ready:".length()));
        }
        if (write != null) {
            views.changed(write.result());
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
        Write write = prepare(success, true, null);
        Uni<Void> written;
        if (config.resultReplicas() == 0) {
            written = WRITE.runLater(redis.getReactive(), keys(taskId), write.argv())
                    .invoke(reply -> viewed(write, reply)).replaceWithVoid();
        } else {
            written = redis.getReactive().withConnection(connection -> WRITE.runLater(connection, keys(taskId),
                    write.argv()).call(reply -> viewed(write, reply) ? Uni.createFrom().voidItem()
                            : touchLater(connection, taskId))
                    .chain(() -> connection.execute("WAIT", replicasArgs())).invoke(this::replicated)
                    .replaceWithVoid());
        }
        return written.ifNoItem().after(timeout).fail();
    }

    /** As {@link #succeededLater}, on the calling thread; false when the record was already final. */
    public boolean succeeded(String taskId, String name, JsonNode value, String startedAt) {
        return outcome(new TaskResult(TaskState.SUCCESS, value, null, json.createArrayNode(), now(), taskId, name,
                startedAt));
    }

    /**
     * A final state reached without running the task, with an error already in Celery's form: what a chain's tasks
     * after a failed one get, and a chord's body when a member failed. False when the record was already final.
     */
    public boolean ended(String taskId, String name, String state, JsonNode error, String traceback) {
        if (!TaskState.isReady(state) || TaskState.SUCCESS.equals(state)) {
            throw new IllegalArgumentException("not a failed state: " + state);
        }
        return outcome(new TaskResult(state, error, traceback, json.createArrayNode(), now(), taskId, name, null));
    }

    /** FAILURE with the error as Celery stores it; false when the record was already final. */
    public boolean failed(String taskId, String name, Throwable error, String startedAt) {
        return outcome(new TaskResult(TaskState.FAILURE, exception(error), traceback(error), json.createArrayNode(),
                now(), taskId, name, startedAt));
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
        FORGET_UNLESS_READY.run(redis, List.of(key(taskId), keyOf(taskId, TIMELINE)));
    }

    /** As {@link #forget}, completing when Redis has done it (see {@link #succeededLater}). */
    public Uni<Void> forgetLater(String taskId, Duration timeout) {
        return FORGET_UNLESS_READY.runLater(redis.getReactive(), List.of(key(taskId), keyOf(taskId, TIMELINE)))
                .ifNoItem().after(timeout).fail().replaceWithVoid();
    }

    /**
     * Drops a task's record and timeline whatever its state: Celery's {@code forget}, and a requeued dead letter (sent
     * again on purpose).
     */
    public void forgetAnyway(String taskId) {
        redis.key().del(key(taskId), keyOf(taskId, DELIVERIES), keyOf(taskId, TIMELINE));
    }

    /** The records of many tasks in one round trip, in the order asked. */
    public List<Optional<TaskResult>> getAll(List<String> taskIds) {
        if (taskIds.isEmpty()) {
            return List.of();
        }
        Map<String, String> found = multiGet.get(taskIds.stream().map(ResultStore::key).toList());
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
        Write write = prepare(result, guarded, null);
        return viewed(write, WRITE.run(redis, keys(result.taskId()), write.argv()));
    }

    /**
     * A worker's final outcome: written as any record, then, with {@code celeriac.result-replicas}, on replicas
     * before this returns (or it throws, and the worker writes again holding the message).
     */
    private boolean outcome(TaskResult result) {
        if (config.resultReplicas() == 0) {
            return write(result, true);
        }
        Write write = prepare(result, true, null);
        AtomicReference<Response> reply = new AtomicReference<>();
        redis.withConnection(connection -> {
            reply.set(WRITE.run(connection, keys(result.taskId()), write.argv()));
            if (reply.get() == null || reply.get().toLong() != 1L) {
                touch(connection, result.taskId());
            }
            replicated(connection.execute("WAIT", replicasArgs()));
        });
        return viewed(write, reply.get());
    }

    /**
     * The record was final already (an earlier try wrote it, and its WAIT fell short): this connection wrote nothing,
     * so its WAIT would prove nothing. A write of the record's TTL, passed on to replicas like any write, makes it
     * wait for them to have everything up to the record.
     */
    private void touch(RedisDataSource connection, String taskId) {
        connection.execute("PEXPIRE", key(taskId), Long.toString(config.resultExpires().toMillis()));
    }

    private Uni<Void> touchLater(io.quarkus.redis.datasource.ReactiveRedisDataSource connection, String taskId) {
        return connection.execute("PEXPIRE", key(taskId), Long.toString(config.resultExpires().toMillis()))
                .replaceWithVoid();
    }

    private String[] replicasArgs() {
        return new String[] { Integer.toString(config.resultReplicas()),
                Long.toString(Math.max(1, config.resultReplicasTimeout().toMillis())) };
    }

    private void replicated(Response waited) {
        long replicas = waited == null ? 0 : waited.toLong();
        if (replicas < config.resultReplicas()) {
            throw new IllegalStateException("the outcome reached " + replicas + " of "
                    + config.resultReplicas() + " Redis replicas within " + config.resultReplicasTimeout()
                    + " (celeriac.result-replicas)");
        }
    }

    /** A record write: the script's ARGV, and the record for the views once Redis took it. */
    private record Write(TaskResult result, String[] argv) {
    }

    /** Whether {@code write}'s script wrote; if so, the views hear of it. */
    private boolean viewed(Write write, Response reply) {
        boolean written = reply != null && reply.toLong() == 1L;
        if (written) {
            views.changed(write.result());
        }
        return written;
    }

    private List<String> keys(String taskId, String... more) {
        List<String> keys = new ArrayList<>(List.of(key(taskId), keyOf(taskId, TIMELINE)));
        keys.addAll(List.of(more));
        return keys;
    }

    /** ARGV of {@code write}; {@code seen} adds to the timeline's entry. */
    private Write prepare(TaskResult result, boolean guarded, ObjectNode seen) {
        return new Write(result, new String[] { encode(result), Long.toString(config.resultExpires().toMillis()),
                guarded ? "1" : "0", timelineEntry(result, seen) });
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
        for (String entry : redis.list(String.class).lrange(keyOf(taskId, TIMELINE), 0, -1)) {
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
