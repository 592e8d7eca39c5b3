package io.celeriac.example;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.task.Task;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** A task with nothing to do and its result ignored: what the benchmark's untracked figures move. */
@ApplicationScoped
@RegisterForReflection(methods = true)
public class NoopTask {

    @Task(name = "noop")
    public void noop(int i) {
    }
}
