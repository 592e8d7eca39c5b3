package io.celeriac.outbox;

import java.sql.SQLException;
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

import io.celeriac.client.TaskClient;
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
    private final TaskClient client;
    private final ResultStore results;
    private final TaskMessageCodec codec;
    private final TaskMetrics metrics;
    private final CeleriacConfig config;
    /** The publish after a commit runs here: the committing thread is still bound to its finished transaction. */
    private final ExecutorService afterCommit = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "celeriac-outbox");
        thread.setDaemon(true);
        return thread;
    });

    public OutboxRelay(OutboxTable table, TaskClient client, ResultStore results, TaskMessageCodec codec,
            TaskMetrics metrics, CeleriacConfig config) {
        this.table = table;
        this.client = client;
        this.results = results;
        this.codec = codec;
        this.metrics = metrics;
        this.config = config;
    }

    void start(@Observes StartupEvent start) {
        if (config.outbox().enabled() && config.outbox().createTable()) {
            try {
                table.create();
            } catch (SQLException e) {
                throw new IllegalStateException("celeriac.outbox: cannot create table " + OutboxTable.NAME
                        + " (create it yourself and set celeriac.outbox.create-table=false, see the README): "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * Publishes a committed transaction's rows before the caller goes on (a request answers once its tasks are
     * queued, as outside a transaction). What cannot be published now stays for the sweep.
     */
    void afterCommit(List<OutboxTable.Row> rows) {
        Future<?> publish = afterCommit.submit(() -> publish(rows));
        try {
            publish.get(config.taskPublishTimeout().toMillis() * 2 + 1000, TimeUnit.MILLISECONDS);
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
        sweep();
    }

    /** Publishes the rows whose claim ran out; answers how many. */
    public int sweep() {
        int published = 0;
        try {
            while (true) {
                long now = System.currentTimeMillis();
                List<OutboxTable.Row> rows = table.claimExpired(Node.id(), now,
                        now + config.outbox().claimLease().toMillis(), SWEEP_BATCH);
                if (rows.isEmpty()) {
                    return published;
                }
                LOG.infof("outbox: publishing %d task(s) left behind", rows.size());
                if (!publish(rows)) {
                    return published;
                }
                published += rows.size();
            }
        } catch (SQLException e) {
            LOG.warnf("outbox sweep failed, next in %s: %s", config.outbox().sweepInterval(), e.getMessage());
            return published;
        }
    }

    /** Records PENDING unless a record is ready, publishes, then deletes the rows; answers whether all went. */
    boolean publish(List<OutboxTable.Row> rows) {
        List<TaskMessage> messages = new ArrayList<>(rows.size());
        List<ResultStore.Sent> pending = new ArrayList<>(rows.size());
        for (OutboxTable.Row row : rows) {
            try {
                TaskMessage message = codec.restore(row.message());
                messages.add(message);
                pending.add(new ResultStore.Sent(message.id(), message.task(),
                        Boolean.TRUE.equals(message.ignoreResult())));
            } catch (MalformedMessageException e) {
                // Only this code writes rows: a row it cannot read would come back every sweep.
                LOG.errorf("outbox row %s (task %s) cannot be read and is dropped: %s", row.rowId(), row.taskId(),
                        e.getMessage());
            }
        }
        try {
            if (!messages.isEmpty()) {
                // Guarded: a republished row must not turn a finished task back into PENDING.
                results.sentAllUnlessReady(pending, config.taskPublishTimeout());
                client.enqueueAll(messages);
            }
        } catch (TaskSendUncertainException e) {
            LOG.warnf("outbox: the broker did not confirm %d task(s) in time; they stay held and are published "
                    + "again after %s (a duplicate is harmless)", messages.size(), config.outbox().claimLease());
            return false;
        } catch (RuntimeException e) {
            LOG.warnf("outbox: %d task(s) not published yet, again after %s: %s", messages.size(),
                    config.outbox().claimLease(), e.getMessage());
            return false;
        }
        messages.forEach(m -> metrics.sent(m.task()));
        try {
            table.delete(rows);
        } catch (SQLException e) {
            LOG.warnf("outbox: %d published row(s) not deleted (%s); they are published again, harmlessly",
                    rows.size(), e.getMessage());
        }
        return true;
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
