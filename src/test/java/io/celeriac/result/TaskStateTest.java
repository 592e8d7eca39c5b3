package io.celeriac.result;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TaskStateTest {

    @Test
    void readyStatesAreCeleryOnes() {
        assertTrue(TaskState.isReady("SUCCESS"));
        assertTrue(TaskState.isReady("FAILURE"));
        assertTrue(TaskState.isReady("REVOKED"));
        for (String running : new String[] { "PENDING", "STARTED", "PROGRESS", "RETRY", "IGNORED", "MY_STATE" }) {
            assertFalse(TaskState.isReady(running), running);
        }
    }

    @Test
    void aRunningTaskMovesFreelyButAReadyOneIsFinal() {
        assertTrue(TaskState.canMove(null, "PENDING"));
        assertTrue(TaskState.canMove("PENDING", "STARTED"));
        assertTrue(TaskState.canMove("STARTED", "PROGRESS"));
        assertTrue(TaskState.canMove("PROGRESS", "PROGRESS"));
        assertTrue(TaskState.canMove("PROGRESS", "SUCCESS"));
        assertFalse(TaskState.canMove("SUCCESS", "PROGRESS"));
        assertFalse(TaskState.canMove("SUCCESS", "STARTED"));
        assertFalse(TaskState.canMove("FAILURE", "SUCCESS"));
    }
}
