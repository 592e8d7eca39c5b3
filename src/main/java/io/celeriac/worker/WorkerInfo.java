package io.celeriac.worker;

import java.util.List;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * What a live worker says about itself in its heartbeat. {@code abandoned}: attempts past their hard time limit whose
 * threads still run (they ignore interrupts), beside the {@code active} tasks.
 */
@RegisterForReflection
public record WorkerInfo(String name, String hostname, long pid, int concurrency, String startedAt, String heartbeatAt,
        List<ActiveTask> active, int abandoned) {

    @RegisterForReflection
    public record ActiveTask(String id, String name, String startedAt) {
    }
}
