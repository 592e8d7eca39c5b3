package io.celeriac.worker;

import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.example.User;
import io.celeriac.task.Task;
import io.quarkus.narayana.jta.QuarkusTransaction;

/** Tasks that outlast the transaction timeout of the tests' profile (5 s), for LongTaskTest. */
@ApplicationScoped
public class LongTaskTasks {

    static final AtomicInteger UNSTORABLE_RUNS = new AtomicInteger();

    /** Reads before and after a long pause with no transaction around it, and writes in a short one at the end. */
    @Task(name = "long_report", result = Task.Result.KEEP)
    public long longReport(String email, long millis) throws InterruptedException {
        long before = User.count();
        Thread.sleep(millis);
        QuarkusTransaction.requiringNew().run(() -> {
            User user = new User();
            user.name = "report";
            user.email = email;
            user.persist();
        });
        return User.count() - before;
    }

    /** The whole run in the worker's transaction, which its hard limit times (20 s), not the 5 s default. */
    @Task(name = "long_transactional", result = Task.Result.KEEP, transactional = true, timeLimit = "20s")
    public long longTransactional(String email, long millis) throws InterruptedException {
        User user = new User();
        user.name = "transactional";
        user.email = email;
        user.persist();
        Thread.sleep(millis);
        return User.count("email", email);
    }

    /** Writes a row, then returns what cannot be stored as JSON: the row must be rolled back with it. */
    @Task(name = "unstorable_result", result = Task.Result.KEEP, transactional = true,
            autoretryFor = RuntimeException.class)
    public Unstorable unstorableResult(String email) {
        UNSTORABLE_RUNS.incrementAndGet();
        User user = new User();
        user.name = "unstorable";
        user.email = email;
        user.persist();
        return new Unstorable();
    }

    public static class Unstorable {
        public String getValue() {
            throw new IllegalStateException("this getter always throws");
        }
    }
}
