package io.celeriac.worker;

import jakarta.transaction.SystemException;
import jakarta.transaction.Transaction;

/**
 * One attempt at running a task: the token a revocation, a time limit or a shutdown interrupts. An interrupt reaches
 * the thread only while it runs this attempt (a thread that has moved on to the next task is never hit), and one
 * asked for before the attempt started is delivered when it starts.
 */
final class Execution {

    final String taskId;
    final String taskName;
    final String startedAt;
    private Thread thread;
    private boolean interruptRequested;
    private boolean ended;
    private volatile boolean softLimitExceeded;
    private Transaction transaction;

    Execution(String taskId, String taskName, String startedAt) {
        this.taskId = taskId;
        this.taskName = taskName;
        this.startedAt = startedAt;
    }

    /** The attempt starts on the calling thread. */
    synchronized void bind() {
        thread = Thread.currentThread();
        if (interruptRequested) {
            thread.interrupt();
        }
    }

    /**
     * The attempt is over, on its own thread: from here on no interrupt meant for it can reach the thread, and one that
     * came late is cleared so it does not fail the thread's next task.
     */
    synchronized void end() {
        ended = true;
        thread = null;
        transaction = null;
        Thread.interrupted();
    }

    /** Interrupts the attempt now or, if it has not started, when it does; false once it has ended. */
    synchronized boolean interrupt() {
        if (ended) {
            return false;
        }
        interruptRequested = true;
        if (thread != null) {
            thread.interrupt();
        }
        return true;
    }

    /** The soft limit struck: the task is told so, and interrupted so it can clean up. */
    void passSoftLimit() {
        softLimitExceeded = true;
        interrupt();
    }

    boolean softLimitExceeded() {
        return softLimitExceeded;
    }

    synchronized boolean alive() {
        return !ended;
    }

    /** The worker's transaction around the attempt, so an abandoned attempt can be kept from committing. */
    synchronized void transaction(Transaction transaction) {
        this.transaction = transaction;
    }

    /** Marks the attempt's transaction rollback-only: an abandoned attempt must not commit after its FAILURE. */
    synchronized boolean forbidCommit() {
        if (transaction == null) {
            return false;
        }
        try {
            transaction.setRollbackOnly();
            return true;
        } catch (SystemException | IllegalStateException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return taskName + "[" + taskId + "]";
    }
}
