package io.celeriac.schedule;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.task.Task;
import io.celeriac.task.TaskContext;

/** Tasks that record each run, for the beat tests. */
@ApplicationScoped
public class BeatProbeTasks {

    private final List<String> probeRuns = new CopyOnWriteArrayList<>();
    private final AtomicInteger slowRunning = new AtomicInteger();
    private final AtomicInteger slowRuns = new AtomicInteger();
    private volatile boolean slowOverlapped;

    private final TaskContext task;

    public BeatProbeTasks(TaskContext task) {
        this.task = task;
    }

    /** Ids of the probe's runs, in order (read through the client proxy, hence methods). */
    public List<String> probeRuns() {
        return probeRuns;
    }

    public int slowRuns() {
        return slowRuns.get();
    }

    public boolean slowOverlapped() {
        return slowOverlapped;
    }

    @Task(name = "beat_probe", result = Task.Result.KEEP)
    public void probe() {
        probeRuns.add(task.id());
    }

    @Task(name = "beat_slow")
    public void slow() throws InterruptedException {
        if (slowRunning.incrementAndGet() > 1) {
            slowOverlapped = true;
        }
        try {
            slowRuns.incrementAndGet();
            Thread.sleep(2500);
        } finally {
            // Released even when the run is interrupted, or the next run would see a false overlap.
            slowRunning.decrementAndGet();
        }
    }
}
