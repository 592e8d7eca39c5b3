package io.celeriac.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.client.TaskClient;
import io.celeriac.example.User;
import io.celeriac.result.ResultStore;
import io.celeriac.result.TaskResult;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A task may run longer than the transaction timeout (5 s in the tests' profile, Quarkus's 60 s in production):
 * the worker wraps no transaction around it unless the task asks, and then times it by the task's hard limit.
 */
@QuarkusTest
class LongTaskTest {

    @Inject
    TaskClient tasks;

    @Inject
    ResultStore results;

    private TaskResult awaitReady(String id) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> results.get(id).orElse(null), r -> r != null && r.ready());
    }

    private static long users(String email) {
        return QuarkusTransaction.requiringNew().call(() -> User.count("email", email));
    }

    @Test
    void aTaskLongerThanTheTransactionTimeoutSucceedsAndItsWriteLands() {
        String email = UUID.randomUUID() + "@example.org";
        TaskResult done = awaitReady(tasks.delay("long_report", email, 6_000).id());
        assertEquals("SUCCESS", done.status(), done.toString());
        assertEquals(1, done.result().asLong());
        assertEquals(1, users(email));
    }

    @Test
    void aTransactionalTaskIsTimedByItsHardLimitNotTheDefaultTimeout() {
        String email = UUID.randomUUID() + "@example.org";
        TaskResult done = awaitReady(tasks.delay("long_transactional", email, 6_000).id());
        assertEquals("SUCCESS", done.status(), done.toString());
        assertEquals(1, done.result().asLong());
        assertEquals(1, users(email));
    }

    @Test
    void aResultThatCannotBeStoredFailsTheTaskRollsItBackAndIsNotRetried() {
        String email = UUID.randomUUID() + "@example.org";
        int runsBefore = LongTaskTasks.UNSTORABLE_RUNS.get();
        TaskResult done = awaitReady(tasks.delay("unstorable_result", email).id());
        assertEquals(runsBefore + 1, LongTaskTasks.UNSTORABLE_RUNS.get(), "retrying would fail the same way");
        assertEquals("FAILURE", done.status(), done.toString());
        assertEquals("ResultNotStorable", done.result().get("exc_type").asText());
        assertTrue(done.result().get("exc_message").get(0).asText().contains("this getter always throws"), done.toString());
        assertEquals(0, users(email), "the write was rolled back with the task");
    }
}
