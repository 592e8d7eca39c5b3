package io.celeriac.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.celeriac.result.GroupProgress;
import io.celeriac.result.ResultStore;
import io.celeriac.result.TaskResult;

/**
 * A sent group, as Celery's {@code GroupResult}: one {@link AsyncResult} per member, in the group's order. Every read
 * goes to the result store; restored from its id by {@link TaskClient#group(String)}.
 */
public final class GroupResult {

    private final String id;
    private final List<AsyncResult<Object>> results;
    private final ResultStore store;

    GroupResult(String id, List<AsyncResult<Object>> results, ResultStore store) {
        this.id = id;
        this.results = List.copyOf(results);
        this.store = store;
    }

    public String id() {
        return id;
    }

    public List<AsyncResult<Object>> results() {
        return results;
    }

    public int size() {
        return results.size();
    }

    /**
     * Every member's record as the result store has it now, read in one round trip (empty for a member nothing is
     * known of), in the group's order.
     */
    public List<Optional<TaskResult>> snapshots() {
        return store.getAll(results.stream().map(AsyncResult::id).toList());
    }

    /** Members done so far, read once: those that succeeded and those that ended otherwise. */
    public GroupProgress progress() {
        return GroupProgress.of(snapshots());
    }

    /** Celery's {@code completed_count}: members that succeeded. */
    public int completed() {
        return progress().succeeded();
    }

    public boolean ready() {
        return progress().ready();
    }

    public boolean successful() {
        return progress().succeeded() == results.size();
    }

    /** Any member ended FAILURE or REVOKED. */
    public boolean failed() {
        return progress().failed() > 0;
    }

    /**
     * Waits for every member, at most {@code timeout} in all, and returns their values in order; the first failed
     * member throws {@link TaskFailedException}, and {@link ResultTimeoutException} when they are not all ready in
     * time.
     */
    public List<Object> get(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Object> values = new ArrayList<>(results.size());
        for (AsyncResult<Object> member : results) {
            values.add(member.get(Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))));
        }
        return values;
    }

    @Override
    public String toString() {
        return "GroupResult[" + id + "]";
    }
}
