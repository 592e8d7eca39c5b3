package io.celeriac.client;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Per-call options, like Celery's {@code apply_async}: {@code countdown}/{@code eta} delay the task, {@code expires}
 * drops it if it has not started by then, {@code taskId} chooses its id, time limits override the task's, and
 * {@code queue} and {@code priority} route it.
 */
public record SendOptions(Optional<Instant> eta, Optional<Instant> expires, Optional<String> taskId,
        Optional<Duration> timeLimit, Optional<Duration> softTimeLimit, Optional<String> queue,
        Optional<Integer> priority) {

    public static SendOptions none() {
        return new SendOptions(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Runs the task no earlier than this long from now. */
    public SendOptions countdown(Duration countdown) {
        return eta(Instant.now().plus(countdown));
    }

    /** Runs the task no earlier than this instant. */
    public SendOptions eta(Instant eta) {
        return new SendOptions(Optional.of(eta), expires, taskId, timeLimit, softTimeLimit, queue, priority);
    }

    /** Drops the task, as REVOKED, if it has not started this long from now. */
    public SendOptions expires(Duration expiresIn) {
        return expires(Instant.now().plus(expiresIn));
    }

    public SendOptions expires(Instant expires) {
        return new SendOptions(eta, Optional.of(expires), taskId, timeLimit, softTimeLimit, queue, priority);
    }

    public SendOptions taskId(String id) {
        return new SendOptions(eta, expires, Optional.of(id), timeLimit, softTimeLimit, queue, priority);
    }

    public SendOptions timeLimit(Duration hard) {
        return new SendOptions(eta, expires, taskId, Optional.of(hard), softTimeLimit, queue, priority);
    }

    public SendOptions softTimeLimit(Duration soft) {
        return new SendOptions(eta, expires, taskId, timeLimit, Optional.of(soft), queue, priority);
    }

    /** Sends it to this queue, whatever the routes say. */
    public SendOptions queue(String name) {
        return new SendOptions(eta, expires, taskId, timeLimit, softTimeLimit, Optional.of(name), priority);
    }

    /** Its priority, 0 (lowest) to 9, on queues declared with a maximum priority. */
    public SendOptions priority(int value) {
        return new SendOptions(eta, expires, taskId, timeLimit, softTimeLimit, queue, Optional.of(value));
    }
}
