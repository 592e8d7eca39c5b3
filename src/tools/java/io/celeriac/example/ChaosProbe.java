package io.celeriac.example;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.config.Node;
import io.celeriac.task.Task;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The task scripts/chaos sends by the thousand: each run leaves a row in the database, in the task's transaction,
 * so runs that happened twice can be counted after workers, the broker and Redis were killed or restarted.
 */
@ApplicationScoped
@RegisterForReflection(methods = true)
public class ChaosProbe {

    /** The work runs outside any transaction; only the insert at the end is in one, so a long run cannot time out. */
    @Task(name = "chaos_probe", result = Task.Result.KEEP)
    public int probe(String run, int seq, long workMillis) throws InterruptedException {
        Thread.sleep(workMillis);
        QuarkusTransaction.requiringNew().run(() -> {
            ChaosRun row = new ChaosRun();
            row.run = run;
            row.seq = seq;
            row.worker = Node.id();
            row.persist();
        });
        return seq;
    }
}
