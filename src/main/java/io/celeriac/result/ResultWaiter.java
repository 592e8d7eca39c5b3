package io.celeriac.result;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * Waits for tasks to become ready the way Celery's Redis backend does: subscribe to the record's own channel (the
 * result store publishes every write there), then read the record once; no polling loop. Every waiter of this
 * instance shares one Redis connection, on which channels are subscribed while someone waits on them. After that
 * connection is lost, it reconnects, subscribes again and reads each awaited record once more, so a result written
 * meanwhile is not missed.
 */
@Singleton
public class ResultWaiter {

    private static final Logger LOG = Logger.getLogger(ResultWaiter.class);

    private final Redis redis;
    private final ResultStore results;
    /** Waiters by task id. */
    private final Map<String, Set<CompletableFuture<TaskResult>>> waiting = new ConcurrentHashMap<>();
    private CompletableFuture<RedisConnection> connection;
    /** Record reads, off the event loop; one thread is plenty (a read per subscription). */
    private final java.util.concurrent.ExecutorService reads = java.util.concurrent.Executors.newSingleThreadExecutor(
            r -> {
                Thread t = new Thread(r, "celeriac-result-waiter");
                t.setDaemon(true);
                return t;
            });

    public ResultWaiter(Redis redis, ResultStore results) {
        this.redis = redis;
        this.results = results;
    }

    /**
     * Completes with the task's record once it is ready. The caller bounds the wait, and calls {@link #cancel} when it
     * gives up.
     */
    public CompletableFuture<TaskResult> ready(String taskId) {
        CompletableFuture<TaskResult> waiter = new CompletableFuture<>();
        boolean[] first = new boolean[1];
        waiting.compute(taskId, (id, set) -> {
            // Decided under the map's lock: two waiters arriving together must not both leave the subscribing to
            // the other.
            first[0] = set == null;
            Set<CompletableFuture<TaskResult>> s = set != null ? set : ConcurrentHashMap.newKeySet();
            s.add(waiter);
            return s;
        });
        if (first[0]) {
            subscribe(List.of(taskId));
        } else {
            check(taskId);
        }
        return waiter;
    }

    public void cancel(String taskId, CompletableFuture<TaskResult> waiter) {
        waiting.computeIfPresent(taskId, (id, set) -> {
            set.remove(waiter);
            if (set.isEmpty()) {
                unsubscribe(id);
                return null;
            }
            return set;
        });
    }

    private synchronized CompletableFuture<RedisConnection> connection() {
        if (connection == null || connection.isCompletedExceptionally()) {
            CompletableFuture<RedisConnection> opening = new CompletableFuture<>();
            connection = opening;
            redis.connect().onComplete(connected -> {
                if (connected.failed()) {
                    opening.completeExceptionally(connected.cause());
                    return;
                }
                RedisConnection c = connected.result();
                c.handler(this::onMessage);
                c.exceptionHandler(e -> lost(opening, e));
                c.endHandler(v -> lost(opening, new IllegalStateException("connection closed")));
                opening.complete(c);
            });
        }
        return connection;
    }

    /**
     * Subscribes, then reads: a record written before the subscription is seen by the read, one after by the
     * subscription. Vert.x completes a SUBSCRIBE once it is written, not once Redis has it, so the record is read
     * again when Redis confirms the subscription ({@link #onMessage}).
     */
    private void subscribe(List<String> taskIds) {
        connection().thenCompose(c -> {
            Request subscribe = Request.cmd(Command.SUBSCRIBE);
            taskIds.forEach(id -> subscribe.arg(ResultStore.key(id)));
            return c.send(subscribe).toCompletionStage();
        }).whenComplete((ok, failure) -> {
            if (failure != null) {
                LOG.debugf("could not subscribe to results: %s; retrying", failure.getMessage());
                retryLater(taskIds);
                return;
            }
            for (String id : taskIds) {
                if (waiting.containsKey(id)) {
                    check(id);
                } else {
                    // Its waiters gave up while the subscription was on its way.
                    unsubscribe(id);
                }
            }
        });
    }

    private void retryLater(List<String> taskIds) {
        CompletableFuture.delayedExecutor(500, java.util.concurrent.TimeUnit.MILLISECONDS, reads).execute(() -> {
            List<String> still = taskIds.stream().filter(waiting::containsKey).toList();
            if (!still.isEmpty()) {
                subscribe(still);
            }
        });
    }

    private void unsubscribe(String taskId) {
        CompletableFuture<RedisConnection> current;
        synchronized (this) {
            current = connection;
        }
        if (current != null && current.isDone() && !current.isCompletedExceptionally()) {
            current.join().send(Request.cmd(Command.UNSUBSCRIBE).arg(ResultStore.key(taskId)));
        }
    }

    /** Reads the record off the event loop, and completes the waiters if it is ready. */
    private void check(String taskId) {
        reads.execute(() -> {
            try {
                results.get(taskId).filter(TaskResult::ready).ifPresent(r -> complete(taskId, r));
            } catch (RuntimeException e) {
                LOG.debugf("could not read the result of %s: %s", taskId, e.getMessage());
            }
        });
    }

    private void onMessage(Response message) {
        // A push is [message, channel, payload] or [subscribe, channel, count].
        if (message.size() < 3) {
            return;
        }
        String kind = message.get(0).toString();
        String channel = message.get(1).toString();
        if ("subscribe".equals(kind) && channel.startsWith(ResultStore.KEY_PREFIX)) {
            String subscribed = channel.substring(ResultStore.KEY_PREFIX.length());
            if (waiting.containsKey(subscribed)) {
                check(subscribed);
            }
            return;
        }
        if (!"message".equals(kind)) {
            return;
        }
        if (!channel.startsWith(ResultStore.KEY_PREFIX)) {
            return;
        }
        String taskId = channel.substring(ResultStore.KEY_PREFIX.length());
        try {
            Optional<TaskResult> result = results.parse(taskId, message.get(2).toString());
            result.filter(TaskResult::ready).ifPresent(r -> complete(taskId, r));
        } catch (RuntimeException e) {
            LOG.debugf("unreadable record published for %s: %s", taskId, e.getMessage());
        }
    }

    private void complete(String taskId, TaskResult result) {
        Set<CompletableFuture<TaskResult>> done = waiting.remove(taskId);
        if (done != null) {
            unsubscribe(taskId);
            done.forEach(w -> w.complete(result));
        }
    }

    private void lost(CompletableFuture<RedisConnection> which, Throwable why) {
        synchronized (this) {
            if (connection != which) {
                return;
            }
            connection = null;
        }
        which.thenAccept(RedisConnection::close);
        LOG.debugf("result subscription lost (%s): subscribing again", why.getMessage());
        List<String> ids = new ArrayList<>(waiting.keySet());
        if (!ids.isEmpty()) {
            retryLater(ids);
        }
    }

    @PreDestroy
    synchronized void close() {
        reads.shutdownNow();
        if (connection != null && connection.isDone() && !connection.isCompletedExceptionally()) {
            connection.join().close();
        }
        connection = null;
    }
}
