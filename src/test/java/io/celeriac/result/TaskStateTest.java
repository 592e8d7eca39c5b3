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
}
