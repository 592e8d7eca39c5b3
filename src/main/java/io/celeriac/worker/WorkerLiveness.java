package io.celeriac.worker;

import java.util.OptionalLong;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.metrics.TaskMetrics;
import io.celeriac.role.Role;
import io.celeriac.role.Roles;

/**
 * Fails liveness when the worker is up but no longer consuming (celery's "silent stall", #3201, #8030): tasks have
 * waited in the queue for {@code celeriac.worker.stuck-after} while this worker had free slots and received nothing.
 * The broker link itself is a readiness matter (the connector's own checks), so a broker outage does not get workers
 * restarted.
 */
@Liveness
@Singleton
public class WorkerLiveness implements HealthCheck {

    private final Worker worker;
    private final WorkerRegistry registry;
    private final TaskRunner runner;
    private final TaskMetrics metrics;
    private final CeleriacConfig config;
    private final Roles roles;
    /** Since when tasks have been seen waiting while this worker had free slots; 0 when they were not. */
    private long waitingSince;

    public WorkerLiveness(Worker worker, WorkerRegistry registry, TaskRunner runner, TaskMetrics metrics,
            CeleriacConfig config, Roles roles) {
        this.worker = worker;
        this.registry = registry;
        this.runner = runner;
        this.metrics = metrics;
        this.config = config;
        this.roles = roles;
    }

    @Override
    public synchronized HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("celeriac-worker").up();
        if (!roles.has(Role.WORKER)) {
            return response.withData("role", "off").build();
        }
        long now = System.currentTimeMillis();
        long lastDelivery = worker.lastDelivery();
        int active = registry.activeCount();
        response.withData("active", active).withData("concurrency", config.worker().concurrency())
                .withData("lastDelivery", lastDelivery == 0 ? "never" : java.time.Instant.ofEpochMilli(lastDelivery)
                        .toString());
        int abandoned = runner.abandonedCount();
        response.withData("abandoned", abandoned);
        if (abandoned >= runner.abandonedLimit()) {
            // Threads that ignore their interrupts hold memory, connections and maybe locks: only a restart frees them.
            return response.down().withData("reason", abandoned + " attempts past their hard time limit still run")
                    .build();
        }
        // The depth as last sampled in the background: a broker that accepts connections but does not answer must
        // not hang this probe (and get the worker restarted for the broker's trouble).
        OptionalLong sampled = metrics.queueReady();
        if (sampled.isEmpty()) {
            waitingSince = 0;
            return response.withData("queue", "unknown").build();
        }
        long ready = sampled.getAsLong();
        response.withData("ready", ready);
        boolean starving = ready > 0 && active < config.worker().concurrency();
        if (!starving) {
            waitingSince = 0;
            return response.build();
        }
        if (waitingSince == 0) {
            waitingSince = now;
        }
        long quietFor = now - Math.max(waitingSince, lastDelivery);
        if (quietFor >= config.worker().stuckAfter().toMillis()) {
            return response.down().withData("quietForMs", quietFor).build();
        }
        return response.build();
    }
}
