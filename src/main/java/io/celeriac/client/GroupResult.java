package io.celeriac.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A sent group, as Celery's {@code GroupResult}: one {@link AsyncResult} per member, in the group's order. Every read
 * goes to the result store; restored from its id by {@link TaskClient#group(String)}.
 */
public final class GroupResult {

    private final String id;
    private final List<AsyncResult<Object>> results;

    public GroupResult(String id, List<AsyncResult<Object>> results) {
        this.id = id;
        this.results = List.copyOf(results);
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

    /** Celery's {@code completed_count}: members that succeeded. */
    public int completed() {
        return (int) results.stream().filter(AsyncResult::successful).count();
    }

    /** Members that are ready, whatever their outcome. */
    public int readyCount() {
        return (int) results.stream().filter(AsyncResult::ready).count();
    }

    public boolean ready() {
        return results.stream().allMatch(AsyncResult::ready);
    }

    public boolean successful() {
        return results.stream().allMatch(AsyncResult::successful);
    }

    /** Any member ended FAILURE or REVOKED. */
    public boolean failed() {
        return results.stream().anyMatch(r -> r.ready() && !r.successful());
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
