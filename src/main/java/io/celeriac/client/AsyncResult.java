package io.celeriac.client;

import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.celeriac.control.Revocations;
import io.celeriac.result.ResultStore;
import io.celeriac.result.ResultWaiter;
import io.celeriac.result.TaskResult;
import io.celeriac.result.TaskState;

/**
 * A sent task, as Celery's {@code AsyncResult}: its id, its state as the result store has it now, and its value once
 * ready. The same for Java and Python tasks, and rebuilt from an id by {@link TaskClient#result(String)}. Every read
 * goes to Redis: a handle caches nothing.
 *
 * @param <T> what the task returns; {@link #get(Duration)} converts the stored JSON to it
 */
public final class AsyncResult<T> {

    private final String id;
    private final String task;
    private final JavaType type;
    /** Sent by this handle's client for a task whose result is ignored: there will be none. */
    private final boolean ignored;
    private final ResultStore results;
    private final ResultWaiter waiter;
    private final Revocations revocations;
    private final ObjectMapper mapper;
    /** The task before this one in a chain, when this handle came from sending the chain. */
    private final AsyncResult<?> parent;

    AsyncResult(String id, String task, Type type, boolean ignored, ResultStore results, ResultWaiter waiter,
            Revocations revocations, ObjectMapper mapper) {
        this(id, task, mapper.getTypeFactory().constructType(type), ignored, results, waiter, revocations, mapper,
                null);
    }

    private AsyncResult(String id, String task, JavaType type, boolean ignored, ResultStore results,
            ResultWaiter waiter, Revocations revocations, ObjectMapper mapper, AsyncResult<?> parent) {
        this.parent = parent;
        this.id = id;
        this.ignored = ignored;
        this.task = task;
        this.type = type;
        this.results = results;
        this.waiter = waiter;
        this.revocations = revocations;
        this.mapper = mapper;
    }

    public String id() {
        return id;
    }

    /** The same task, its value read as {@code type} (for a task this application does not define). */
    public <U> AsyncResult<U> as(Class<U> type) {
        return new AsyncResult<>(id, task, mapper.getTypeFactory().constructType(type), ignored, results, waiter,
                revocations, mapper, parent);
    }

    /** Celery's {@code parent}: the task before this one in the chain it was sent with. */
    public Optional<AsyncResult<?>> parent() {
        return Optional.ofNullable(parent);
    }

    /** The same handle with {@code parent} as the task before it (how a chain's handle is built). */
    public AsyncResult<T> withParent(AsyncResult<?> parent) {
        return new AsyncResult<>(id, task, type, ignored, results, waiter, revocations, mapper, parent);
    }

    /** Celery's states: PENDING when nothing is known (as Celery answers for an unknown id), else the stored one. */
    public String state() {
        return record().map(TaskResult::status).orElse(TaskState.PENDING);
    }

    public boolean ready() {
        return TaskState.isReady(state());
    }

    public boolean successful() {
        return TaskState.SUCCESS.equals(state());
    }

    public boolean failed() {
        return TaskState.FAILURE.equals(state());
    }

    /** Celery's {@code info}: the progress meta while running, the value when done, the error's record on failure. */
    public JsonNode info() {
        return record().map(TaskResult::result).orElse(null);
    }

    /**
     * The task's record as the result store has it now, read once, so its state, value and traceback belong
     * together (separate calls of {@link #state()} and {@link #info()} may see two moments); empty when nothing is
     * known of the task (never sent here, expired, or ignored and finished).
     */
    public Optional<TaskResult> snapshot() {
        return record();
    }

    /** The traceback of a failure, Java's or Python's. */
    public Optional<String> traceback() {
        return record().map(TaskResult::traceback);
    }

    /**
     * Waits until the task is ready, at most {@code timeout}, on Redis pub/sub as Celery does. Returns the value;
     * throws {@link TaskFailedException} when it failed or was revoked, {@link ResultTimeoutException} when it is not
     * ready in time (the task goes on).
     */
    public T get(Duration timeout) {
        if (ignored) {
            throw new IllegalStateException("the result of task '" + task + "' [" + id + "] is ignored: nothing to "
                    + "wait for (@Task(result = KEEP) keeps it)");
        }
        CompletableFuture<TaskResult> ready = waiter.ready(id);
        TaskResult result;
        try {
            result = ready.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // One last read: ready just now, or a wait of zero for a task already done.
            result = record().filter(TaskResult::ready).orElseThrow(() -> new ResultTimeoutException(id, timeout));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResultTimeoutException(id, timeout);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not wait for task " + id + ": " + e.getCause(), e.getCause());
        } finally {
            waiter.cancel(id, ready);
        }
        if (!result.successful()) {
            throw TaskFailedException.of(id, result);
        }
        return mapper.convertValue(result.result(), type);
    }

    /** Revokes the task: it does not start, and a worker running it interrupts it. */
    public void revoke() {
        revocations.revoke(id, task, "revoked");
    }

    /** Drops its record from the result store, whatever its state (Celery's {@code forget}). */
    public void forget() {
        results.forgetAnyway(id);
    }

    private Optional<TaskResult> record() {
        return results.get(id);
    }

    @Override
    public String toString() {
        return "AsyncResult[" + id + "]";
    }
}
