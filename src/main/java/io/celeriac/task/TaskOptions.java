package io.celeriac.task;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** A task's retry policy and time limits, read from its {@link Task} annotation at start-up. */
public record TaskOptions(List<Class<? extends Throwable>> autoretryFor, int maxRetries, Duration retryBackoff,
        Duration retryBackoffMax, boolean retryJitter, Optional<Duration> timeLimit,
        Optional<Duration> softTimeLimit, boolean transactional, Optional<String> queue,
        Optional<Integer> priority) {

    public static final TaskOptions DEFAULTS = new TaskOptions(List.of(), 3, Duration.ofSeconds(1),
            Duration.ofMinutes(10), true, Optional.empty(), Optional.empty(), false, Optional.empty(),
            Optional.empty());

    static TaskOptions of(Task task, String where) {
        if (task.maxRetries() < 0) {
            throw new IllegalStateException(where + ": maxRetries must not be negative");
        }
        if (task.priority() < -1 || task.priority() > 9) {
            throw new IllegalStateException(where + ": priority must be 0 to 9 (or -1 for none)");
        }
        return new TaskOptions(List.of(task.autoretryFor()), task.maxRetries(),
                duration(task.retryBackoff(), where, "retryBackoff").orElse(Duration.ZERO),
                duration(task.retryBackoffMax(), where, "retryBackoffMax").orElse(Duration.ZERO),
                task.retryJitter(), duration(task.timeLimit(), where, "timeLimit"),
                duration(task.softTimeLimit(), where, "softTimeLimit"), task.transactional(),
                Optional.of(task.queue().trim()).filter(q -> !q.isEmpty()),
                Optional.of(task.priority()).filter(p -> p >= 0));
    }

    /** Reads {@code 30s}, {@code 5m}, {@code 1h}, {@code 500ms} or ISO-8601 ({@code PT1M}); empty is none. */
    public static Optional<Duration> duration(String text, String where, String attribute) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String t = text.trim().toLowerCase();
        try {
            if (t.startsWith("p")) {
                return Optional.of(Duration.parse(t.toUpperCase()));
            }
            if (t.endsWith("ms")) {
                return Optional.of(Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))));
            }
            if (t.matches("\\d+")) {
                return Optional.of(Duration.ofSeconds(Long.parseLong(t)));
            }
            return Optional.of(Duration.parse("PT" + t.toUpperCase()));
        } catch (RuntimeException e) {
            throw new IllegalStateException(where + ": " + attribute + " is not a duration: '" + text + "'");
        }
    }

    public boolean retriesOn(Throwable error) {
        return autoretryFor.stream().anyMatch(type -> type.isInstance(error));
    }

    /** The delay before retry number {@code retry} (1 for the first): exponential, capped, with full jitter. */
    public Duration backoff(int retry) {
        double exponential = retryBackoff.toMillis() * Math.pow(2, Math.max(0, retry - 1));
        long delay = (long) Math.min(retryBackoffMax.toMillis(), exponential);
        return Duration.ofMillis(retryJitter && delay > 0 ? ThreadLocalRandom.current().nextLong(delay + 1) : delay);
    }
}
