package io.celeriac.worker;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.jboss.logging.Logger;

import io.celeriac.tracing.TaskTracing;
import io.smallrye.mutiny.Uni;

/**
 * The writes that follow a task's run (its result, failure, retry or dead letter), tried until they land. The task
 * has run: if Redis or the broker refuses the write for a while (down, read-only after a fail-over, out of memory),
 * running the task again would repeat its side effects, so the message is held, unacked, and the write is tried again
 * with a growing pause; the worker takes no new work in that slot meanwhile, which is right when outcomes cannot be
 * stored. A write that fails the same way every time (a Redis error such as WRONGTYPE on a forged key) is given up
 * after a few tries and logged as an error, so it cannot hold a slot for ever. While the worker stops, a failed write
 * leaves the message to the broker.
 */
final class OutcomeWrites {

    private static final Logger LOG = Logger.getLogger(OutcomeWrites.class);
    static final Duration FIRST_PAUSE = Duration.ofMillis(250);
    static final Duration LONGEST_PAUSE = Duration.ofSeconds(10);
    /** Tries of a write that fails with an error that is not the infrastructure's. */
    static final int PERMANENT_TRIES = 5;

    private final BooleanSupplier stopping;
    private final TaskTracing tracing;
    private final long firstPause;
    private final long longestPause;

    OutcomeWrites(BooleanSupplier stopping, TaskTracing tracing) {
        this(stopping, tracing, FIRST_PAUSE, LONGEST_PAUSE);
    }

    OutcomeWrites(BooleanSupplier stopping, Duration firstPause, Duration longestPause) {
        this(stopping, TaskTracing.NONE, firstPause, longestPause);
    }

    OutcomeWrites(BooleanSupplier stopping, TaskTracing tracing, Duration firstPause, Duration longestPause) {
        this.stopping = stopping;
        this.tracing = tracing;
        this.firstPause = firstPause.toMillis();
        this.longestPause = longestPause.toMillis();
    }

    /**
     * Runs {@code write} on the calling thread until it lands, in a span of its own: what the write sends (a retry,
     * the next task of a chain) is sent from it.
     */
    Settle now(String what, Runnable write) {
        TaskTracing.Traced span = tracing.storing(what);
        try (span) {
            Settle settle = tryNow(what, write);
            span.span().setAttribute("celeriac.settle", settle.name());
            span.end(null);
            return settle;
        } catch (RuntimeException e) {
            span.end(e);
            throw e;
        }
    }

    private Settle tryNow(String what, Runnable write) {
        long pause = firstPause;
        for (int attempt = 1;; attempt++) {
            try {
                write.run();
                if (attempt > 1) {
                    LOG.infof("stored %s after %d attempts", what, attempt);
                }
                return Settle.ACK;
            } catch (RuntimeException e) {
                Settle next = afterFailure(what, e, attempt);
                if (next != null) {
                    return next;
                }
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Settle.LEAVE;
            }
            pause = Math.min(longestPause, pause * 2);
        }
    }

    /** As {@link #now}, without holding a thread: the pauses hold the message only. */
    CompletionStage<Settle> later(String what, Supplier<Uni<Void>> write) {
        TaskTracing.Traced span = tracing.storing(what);
        try (span) {
            return attempt(what, write, 1, firstPause).whenComplete((settle, failure) -> {
                if (settle != null) {
                    span.span().setAttribute("celeriac.settle", settle.name());
                }
                span.end(failure);
            });
        }
    }

    private CompletionStage<Settle> attempt(String what, Supplier<Uni<Void>> write, int attempt, long pause) {
        CompletionStage<Void> done;
        try {
            done = write.get().subscribeAsCompletionStage();
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        return done.handle((ok, failure) -> {
            if (failure == null) {
                if (attempt > 1) {
                    LOG.infof("stored %s after %d attempts", what, attempt);
                }
                return CompletableFuture.completedFuture(Settle.ACK);
            }
            Settle next = afterFailure(what, failure, attempt);
            if (next != null) {
                return CompletableFuture.completedFuture(next);
            }
            return CompletableFuture.runAsync(() -> {
            }, CompletableFuture.delayedExecutor(pause, TimeUnit.MILLISECONDS)).thenCompose(
                    paused -> attempt(what, write, attempt + 1, Math.min(longestPause, pause * 2)));
        }).thenCompose(next -> next);
    }

    /** How to go on after a failed try: null to try again, else how to settle. */
    private Settle afterFailure(String what, Throwable failure, int attempt) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                : failure;
        if (stopping.getAsBoolean()) {
            LOG.warnf("could not store %s while stopping (%s): the message goes back to the broker", what, cause);
            return Settle.LEAVE;
        }
        if (permanent(cause) && attempt >= PERMANENT_TRIES) {
            LOG.errorf("gave up storing %s after %d attempts: %s. The message is acknowledged so it cannot loop; "
                    + "the task's outcome is only in this log", what, attempt, cause);
            return Settle.ACK;
        }
        if (attempt == 1 || attempt % 10 == 0) {
            LOG.warnf("could not store %s (attempt %d), holding its message and trying again: %s", what, attempt,
                    cause);
        }
        return null;
    }

    /**
     * Errors that another try will not mend: Redis's WRONGTYPE and ERR replies (a forged key, a script error), and a
     * record that cannot be encoded. Connection failures, timeouts and Redis's refusals during an outage or a
     * fail-over (READONLY, NOREPLICAS, OOM, LOADING, MASTERDOWN, BUSY, TRYAGAIN, CLUSTERDOWN, MISCONF) are not, even
     * when they come out of a script (Redis then adds "script: ..., on @user_script:N" to the reply).
     */
    static boolean permanent(Throwable error) {
        String message = String.valueOf(error.getMessage());
        if (message.startsWith("WRONGTYPE")) {
            return true;
        }
        if (message.startsWith("ERR")) {
            return !message.startsWith("ERR max number of clients");
        }
        return error instanceof IllegalArgumentException
                || error instanceof IllegalStateException && message.startsWith("cannot encode");
    }
}
