package io.celeriac.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** Which failed writes of an outcome are worth trying again: the infrastructure's, not a deterministic error. */
class OutcomeWritesTest {

    private static RuntimeException redis(String reply) {
        return new RuntimeException(reply);
    }

    @Test
    void refusalsDuringAnOutageOrAFailOverAreTriedAgainEvenFromAScript() {
        for (String reply : new String[] {
                "NOREPLICAS Not enough good replicas to write. script: 311f68f5, on @user_script:13.",
                "READONLY You can't write against a read only replica. script: 311f68f5, on @user_script:13.",
                "OOM command not allowed when used memory > 'maxmemory'. script: 311f68f5, on @user_script:31.",
                "LOADING Redis is loading the dataset in memory", "MASTERDOWN Link with MASTER is down",
                "ERR max number of clients reached", "Client is closed" }) {
            assertFalse(OutcomeWrites.permanent(redis(reply)), reply);
        }
        assertFalse(OutcomeWrites.permanent(new IllegalStateException("Connection is closed")));
        assertFalse(OutcomeWrites.permanent(new RuntimeException(new ConnectException("Connection refused"))));
    }

    @Test
    void errorsThatEveryTryMeetsAreGivenUp() {
        assertTrue(OutcomeWrites.permanent(redis("WRONGTYPE Operation against a key holding the wrong kind of value")));
        assertTrue(OutcomeWrites.permanent(redis("ERR user_script:3: Script attempted to access nonexistent global")));
        assertTrue(OutcomeWrites.permanent(new IllegalStateException("cannot encode a record")));
    }

    @Test
    void aWriteRefusedForAWhileIsTriedUntilItLands() {
        AtomicInteger tries = new AtomicInteger();
        Settle settle = new OutcomeWrites(() -> false, Duration.ofMillis(1), Duration.ofMillis(2)).now("a test outcome", () -> {
            if (tries.incrementAndGet() < 8) {
                throw redis("NOREPLICAS Not enough good replicas to write. script: 1, on @user_script:13.");
            }
        });
        assertEquals(Settle.ACK, settle);
        assertEquals(8, tries.get(), "more tries than a permanent error gets");
    }

    @Test
    void aWriteThatCannotLandWhileTheWorkerStopsLeavesTheMessageToTheBroker() {
        Settle settle = new OutcomeWrites(() -> true, Duration.ofMillis(1), Duration.ofMillis(2)).now("a test outcome", () -> {
            throw redis("READONLY You can't write against a read only replica.");
        });
        assertEquals(Settle.LEAVE, settle);
    }
}
