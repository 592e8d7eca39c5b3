package io.celeriac.worker;

import java.util.List;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** What a live worker says about itself in its heartbeat. */
@RegisterForReflection
public record WorkerInfo(String name, String hostname, long pid, int concurrency, String startedAt, String heartbeatAt,
        List<ActiveTask> active) {

    @RegisterForReflection
    public record ActiveTask(String id, String name, String startedAt) {
    }
}
