package io.celeriac.example;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.task.Task;
import io.celeriac.task.TaskContext;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The three tasks of Flask's "Background Tasks with Celery" example, and {@code mul} and {@code xsum} beside
 * {@code add}, so the examples of Celery's canvas guide run unchanged against these workers.
 */
@ApplicationScoped
@RegisterForReflection(methods = true)
public class ExampleTasks {

    private final TaskContext task;

    public ExampleTasks(TaskContext task) {
        this.task = task;
    }

    @Task(result = Task.Result.KEEP)
    public int add(int a, int b) {
        return a + b;
    }

    @Task(result = Task.Result.KEEP)
    public long mul(long x, long y) {
        return x * y;
    }

    /** The sum of a list: the body of the canvas guide's chords. */
    @Task(result = Task.Result.KEEP)
    public long xsum(List<Long> numbers) {
        return numbers.stream().mapToLong(Long::longValue).sum();
    }

    /** Keeps a worker busy; nobody needs its result, so it is ignored (the default). */
    @Task
    public void block() throws InterruptedException {
        Thread.sleep(5000);
    }

    /** Reports its progress every second, like the guide's {@code update_state(state="PROGRESS", ...)}. */
    @Task(result = Task.Result.KEEP)
    public Processed process(int total) throws InterruptedException {
        for (int i = 0; i < total; i++) {
            task.progress(i + 1, total);
            Thread.sleep(1000);
        }
        return new Processed(total, total);
    }
}
