package io.celeriac.outbox;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.celeriac.client.DelayedQueue;
import io.celeriac.client.Publisher;
import io.celeriac.client.TaskNotRoutableException;
import io.celeriac.client.TaskSendUncertainException;
import io.celeriac.config.CeleriacConfig;
import io.celeriac.config.Node;
import io.celeriac.message.MalformedMessageException;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.metrics.TaskMetrics;
import io.celeriac.result.ResultStore;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Publishes what the outbox holds: right after the commit that wrote it, and, for rows an instance left behind (it
 * died, or the broker or Redis was away), from every instance on start-up and every
 * {@code celeriac.outbox.sweep-interval}. A row is deleted once the broker confirmed its message; a row published
 * twice (a crash after the confirm, before the delete) sends the same task id twice, and a task whose record is
 * already ready is not run again.
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    static final int SWEEP_BATCH = 500;

    private final OutboxTable table;
    private final Publisher publisher;
    private final DelayedQueue delayed;
    private final ResultStore results;
    private final TaskMessageCodec codec;
    private final TaskMetrics metrics;
    private final CeleriacConfig config;
    /** Set once start-up has checked the settings and created the table. */
    private volatile boolean started;
    /** The publish after a commit runs here: the committing thread is still bound to its finished transaction. */
    private final ExecutorService afterCommit = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "celeriac-outbox");
        thread.setDaemon(true);
        return thread;
    });

    public OutboxRelay(OutboxTable table, Publisher publisher, DelayedQueue delayed, ResultStore results,
            TaskMessageCodec codec, TaskMetrics metrics, CeleriacConfig config) {
        this.table = table;
        this.publisher = publisher;
        this.delayed = delayed;
        this.results = results;
        this.codec = codec;
        this.metrics = metrics;
        this.config = config;
    }

    void start(@Observes StartupEvent start) {
        if (!config.outbox().enabled()) {
            return;
        }
        Duration longestPublish = longestPublish();
        if (config.outbox().claimLease().compareTo(longestPublish) <= 0) {
            // A claim that can run out while its holder still publishes lets a sweep publish the same row at once.
            throw new IllegalStateException("celeriac.outbox.claim-lease (" + config.outbox().claimLease()
                    + ") must be longer than a publish can take: 2 x celeriac.task-publish-timeout + 1 s = "
                    + longestPublish);
        }
        if (config.outbox().createTable()) {
            createTable();
        }
        started = true;
    }

    /** The PENDING write and the broker's confirm, each within the publish timeout, and a margin. */
    private Duration longestPublish() {
        return config.taskPublishTimeout().multipliedBy(2).plusSeconds(1);
    }

    private void createTable() {
        try {
            table.create();
        } catch (SQLException first) {
            // Instances starting together can race on "if not exists" (PostgreSQL's catalog): once more, then fail.
            try {
                Thread.sleep(500);
                table.create();
            } catch (SQLException | InterruptedException e) {
                throw new IllegalStateException("celeriac.outbox: cannot create table " + OutboxTable.NAME
                        + " (create it yourself and set celeriac.outbox.create-table=false, see the README): "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * Publishes a committed transaction's rows before the caller goes on (a request answers once its tasks are
     * queued, as outside a transaction); the rows are deleted afterwards, apart, so the wait holds no second
     * database connection. What cannot be published now stays for the sweep.
     */
    void afterCommit(List<OutboxTable.Row> rows) {
        try {
            Future<List<OutboxTable.Row>> publish = afterCommit.submit(() -> publish(rows));
            List<OutboxTable.Row> published = publish.get(longestPublish().toMillis(), TimeUnit.MILLISECONDS);
            if (!published.isEmpty()) {
                afterCommit.execute(() -> delete(published));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warnf("%d committed task(s) not published yet (%s): the outbox sweep publishes them", rows.size(),
                    e.getMessage());
        }
    }

    /** Every instance, on start-up and then every {@code celeriac.outbox.sweep-interval}. */
    @Scheduled(every = "${celeriac.outbox.sweep-interval}", delay = 1, delayUnit = TimeUnit.SECONDS,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, skipExecutionIf = Disabled.class)
    void sweepNow() {
        // The scheduler starts with the app, and may fire before start-up has created the table (dev mode starts
        // its servers first): that sweep would only log a missing table.
        if (started) {
            sweep();
        }
    }

    /** Publishes the rows whose claim ran out; answers the ids of the tasks it published. */
    public List<String> sweep() {
        List<String> published = new ArrayList<>();
        try {
            while (true) {
                long now = System.currentTimeMillis();
                List<OutboxTable.Row> rows = table.claimExpired(Node.id(), now,
                        now + config.outbox().claimLease().toMillis(), SWEEP_BATCH);
                if (rows.isEmpty()) {
                    return published;
                }
                LOG.infof("outbox: publishing %d task(s) left behind", rows.size());
                List<OutboxTable.Row> done = publish(rows);
                if (done.size() < rows.size() && rows.size() > 1) {
                    // One bad row must not hold back a batch: the others, one by one. The first of them failing
                    // too means the broker or Redis is away, and each would wait out the publish timeout in vain.
                    done = new ArrayList<>(done);
                    for (OutboxTable.Row row : rows) {
                        if (!done.contains(row)) {
                            List<OutboxTable.Row> alone = publish(List.of(row));
                            if (alone.isEmpty()) {
                                break;
                            }
                            done.addAll(alone);
                        }
                    }
                }
                delete(done);
                done.forEach(row -> published.add(row.taskId()));
                if (done.size() < rows.size()) {
                    // The rest waits for its claim to run out again (the broker or Redis is away).
                    return published;
                }
            }
        } catch (SQLException e) {
            LOG.warnf("outbox sweep failed, next in %s: %s", config.outbox().sweepInterval(), e.getMessage());
            return published;
        }
    }

    /**
     * Records PENDING unless a record is ready, then publishes (a message with an eta goes to the delayed queue
     * under an entry of its row, so a row published twice waits there once); answers the rows that are done with:
     * published, or ended for good (unreadable, or not routable), which are recorded FAILURE so their ids do not
     * answer 404 for ever.
     */
    List<OutboxTable.Row> publish(List<OutboxTable.Row> rows) {
        List<OutboxTable.Row> done = new ArrayList<>(rows.size());
        List<OutboxTable.Row> sendable = new ArrayList<>(rows.size());
        List<TaskMessage> messages = new ArrayList<>(rows.size());
        List<ResultStore.Sent> pending = new ArrayList<>(rows.size());
        for (OutboxTable.Row row : rows) {
            try {
                TaskMessage message = codec.restore(row.message());
                publisher.checkRoutable(message);
                messages.add(message);
                sendable.add(row);
                pending.add(new ResultStore.Sent(message.id(), message.task(),
                        Boolean.TRUE.equals(message.ignoreResult())));
            } catch (MalformedMessageException | TaskNotRoutableException e) {
                LOG.errorf("outbox row %s (task %s) cannot be published and ends as FAILURE: %s", row.rowId(),
                        row.taskId(), e.getMessage());
                if (endedForGood(row, e)) {
                    done.add(row);
                }
            }
        }
        if (messages.isEmpty()) {
            return done;
        }
        try {
            // Guarded: a republished row must not turn a finished task back into PENDING.
            results.sentAllUnlessReady(pending, config.taskPublishTimeout());
            List<TaskMessage> now = new ArrayList<>(messages.size());
            for (int i = 0; i < messages.size(); i++) {
                TaskMessage message = messages.get(i);
                Instant eta = message.etaInstant().orElse(null);
                if (eta != null && eta.isAfter(Instant.now())) {
                    delayed.addOnce(message, eta, sendable.get(i).rowId());
                } else {
                    now.add(message);
                }
            }
            if (!now.isEmpty()) {
                publisher.publishAll(now);
            }
        } catch (TaskSendUncertainException e) {
            LOG.warnf("outbox: the broker did not confirm %d task(s) in time; they stay held and are published "
                    + "again after %s (a duplicate is harmless)", messages.size(), config.outbox().claimLease());
            return done;
        } catch (RuntimeException e) {
            LOG.warnf("outbox: %d task(s) not published yet, again after %s: %s", messages.size(),
                    config.outbox().claimLease(), e.getMessage());
            return done;
        }
        messages.forEach(m -> metrics.sent(m.task()));
        done.addAll(sendable);
        return done;
    }

    private boolean endedForGood(OutboxTable.Row row, RuntimeException why) {
        try {
            results.failed(row.taskId(), null, why);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void delete(List<OutboxTable.Row> rows) {
        if (rows.isEmpty()) {
            return;
        }
        try {
            table.delete(rows);
        } catch (SQLException e) {
            LOG.warnf("outbox: %d published row(s) not deleted (%s); they are published again, harmlessly",
                    rows.size(), e.getMessage());
        }
    }

    @PreDestroy
    void stop() {
        afterCommit.shutdown();
    }

    /** The sweep runs only with the outbox on. */
    @jakarta.inject.Singleton
    public static class Disabled implements Scheduled.SkipPredicate {

        private final CeleriacConfig config;

        public Disabled(CeleriacConfig config) {
            this.config = config;
        }

        @Override
        public boolean test(io.quarkus.scheduler.ScheduledExecution execution) {
            return !config.outbox().enabled();
        }
    }
}
