package io.celeriac.dashboard;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.WireJson;
import io.celeriac.result.ResultViews;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.operators.multi.processors.BroadcastProcessor;
import io.smallrye.mutiny.subscription.Cancellable;

/**
 * The task events of the whole cluster, for every live view of this instance: one Redis subscription, fanned out in
 * process. A subscription per viewer would hold one pooled Redis connection each, and some thirty open pages would
 * starve the instance's sends and result writes. A viewer that reads slowly loses events rather than holding the
 * others back.
 */
@Singleton
public class TaskEvents {

    private static final Logger LOG = Logger.getLogger(TaskEvents.class);

    private final ReactiveRedisDataSource redis;
    private final CeleriacConfig config;
    private final BroadcastProcessor<String> events = BroadcastProcessor.create();
    private final AtomicInteger subscribers = new AtomicInteger();
    private Cancellable upstream;

    public TaskEvents(ReactiveRedisDataSource redis, CeleriacConfig config) {
        this.redis = redis;
        this.config = config;
    }

    /** Thrown when this instance already streams to {@code celeriac.events.max-subscribers} clients. */
    public static final class TooManySubscribers extends RuntimeException {
        TooManySubscribers(int max) {
            super("this instance already streams task events to " + max + " clients (celeriac.events.max-subscribers)");
        }
    }

    /** A viewer's stream of events, as {@link ResultViews#EVENTS} carries them. */
    public Multi<String> subscribe() {
        int max = config.events().maxSubscribers();
        if (subscribers.incrementAndGet() > max) {
            subscribers.decrementAndGet();
            throw new TooManySubscribers(max);
        }
        listen();
        return events.onOverflow().buffer(1024).onTermination().invoke(subscribers::decrementAndGet);
    }

    public int subscribers() {
        return subscribers.get();
    }

    private synchronized void listen() {
        if (upstream != null) {
            return;
        }
        // Resubscribes after Redis goes away; viewers stay connected meanwhile and simply see no events.
        upstream = Multi.createFrom().deferred(() -> redis.pubsub(String.class).subscribe(ResultViews.EVENTS))
                .onFailure().invoke(e -> LOG.debugf("task event subscription lost: %s", e.getMessage()))
                .onFailure().retry().withBackOff(Duration.ofMillis(500), Duration.ofSeconds(10)).indefinitely()
                .subscribe().with(this::batch);
    }

    /**
     * A message carries a batch of events (see ResultViews); a viewer gets them one by one, as before. A single event
     * (from an instance of an older release, during an upgrade) passes as it is.
     */
    private void batch(String message) {
        try {
            JsonNode batch = WireJson.MAPPER.readTree(message);
            if (!batch.isArray()) {
                events.onNext(message);
                return;
            }
            for (JsonNode event : batch) {
                events.onNext(event.toString());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debugf("not a batch of task events: %s", e.getMessage());
        }
    }

    @PreDestroy
    synchronized void close() {
        if (upstream != null) {
            upstream.cancel();
        }
        events.onComplete();
    }
}
