package io.celeriac.outbox;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.SystemException;
import jakarta.transaction.TransactionManager;
import jakarta.transaction.TransactionSynchronizationRegistry;

import io.celeriac.client.TaskNotSentException;
import io.celeriac.config.CeleriacConfig;
import io.celeriac.config.Node;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;

/**
 * The transactional outbox: a send made inside an active transaction is written to {@link OutboxTable} in that
 * transaction instead of going to the broker. When the transaction commits, {@link OutboxRelay} publishes what it
 * held; when it rolls back, the rows go with it and nothing is sent. Should the process die between the commit and
 * the publish, the rows stay, and any instance's relay publishes them once their claim runs out. So a worker never
 * runs a task for data that was not committed, nor for a request that rolled back (Django's
 * {@code transaction.on_commit}, made durable).
 */
@ApplicationScoped
public class Outbox {

    private static final Object HELD = Outbox.class.getName() + ".held";

    private final CeleriacConfig config;
    private final TransactionManager transactions;
    private final TransactionSynchronizationRegistry synchronizations;
    private final OutboxTable table;
    private final OutboxRelay relay;
    private final TaskMessageCodec codec;

    public Outbox(CeleriacConfig config, TransactionManager transactions,
            TransactionSynchronizationRegistry synchronizations, OutboxTable table, OutboxRelay relay,
            TaskMessageCodec codec) {
        this.config = config;
        this.transactions = transactions;
        this.synchronizations = synchronizations;
        this.table = table;
        this.relay = relay;
        this.codec = codec;
    }

    /**
     * Holds the message until the current transaction commits, when there is one and the outbox is on; answers
     * whether it did. Otherwise the caller sends it as usual.
     */
    public boolean hold(TaskMessage message) {
        if (!config.outbox().enabled()) {
            return false;
        }
        int status = status(message);
        if (status == Status.STATUS_NO_TRANSACTION) {
            return false;
        }
        if (status != Status.STATUS_ACTIVE) {
            // Marked for rollback (an exception caught, a timeout, an abandoned task) or ending: whatever it sends
            // would never be published, and sending it at once would break the promise.
            throw new TaskNotSentException(message.id(), "task '" + message.task() + "' not sent: the transaction "
                    + "it is sent in is " + (status == Status.STATUS_MARKED_ROLLBACK ? "marked for rollback"
                            : "ending (status " + status + ")"), null);
        }
        Held held = (Held) synchronizations.getResource(HELD);
        if (held == null) {
            held = new Held();
            synchronizations.putResource(HELD, held);
            synchronizations.registerInterposedSynchronization(held);
        }
        try {
            // Claimed by this instance for a while: the publish after the commit is its own, not a sweeper's.
            held.rows.add(table.insert(message.id(), codec.store(message), Node.id(),
                    System.currentTimeMillis() + config.outbox().claimLease().toMillis()));
        } catch (SQLException e) {
            throw new TaskNotSentException(message.id(), "task '" + message.task() + "' not sent: the outbox table "
                    + "could not take it (" + e.getMessage() + ")", e);
        }
        return true;
    }

    private int status(TaskMessage message) {
        try {
            return transactions.getStatus();
        } catch (SystemException e) {
            throw new TaskNotSentException(message.id(), "task '" + message.task() + "' not sent: the transaction "
                    + "manager cannot say whether a transaction is active (" + e.getMessage() + ")", e);
        }
    }

    /** What one transaction held; published once it has committed. */
    private final class Held implements Synchronization {

        final List<OutboxTable.Row> rows = new ArrayList<>();

        /**
         * The claim runs from the commit, not from the send: a transaction that outlasts the lease must not commit
         * rows another instance's sweep may take while this one publishes them.
         */
        @Override
        public void beforeCompletion() {
            try {
                table.claim(rows, Node.id(), System.currentTimeMillis() + config.outbox().claimLease().toMillis());
            } catch (SQLException e) {
                // Rolls the transaction back: better than a commit whose tasks two instances might publish at once.
                throw new IllegalStateException("outbox: cannot renew the claim on " + rows.size() + " held task(s): "
                        + e.getMessage(), e);
            }
        }

        @Override
        public void afterCompletion(int status) {
            if (status == Status.STATUS_COMMITTED) {
                relay.afterCommit(List.copyOf(rows));
            }
        }
    }
}
