package io.celeriac.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Slots as Redis Cluster computes them (the expected values are what {@code CLUSTER KEYSLOT} answers). */
class HashSlotTest {

    @Test
    void aKeyHashesWhole() {
        assertEquals(12182, HashSlot.of("foo"));
        assertEquals(12739, HashSlot.of("123456789"));
        assertEquals(8170, HashSlot.of("celery-task-meta-abc"));
    }

    @Test
    void aTagHashesInsteadOfTheKey() {
        assertEquals(8170, HashSlot.of("{celery-task-meta-abc}.timeline"));
        assertEquals(HashSlot.of("user1000"), HashSlot.of("{user1000}.following"));
        // An empty tag is no tag, and only the first one counts.
        assertEquals(10595, HashSlot.of("{}x"));
        assertEquals(15495, HashSlot.of("{a}{b}"));
    }

    @Test
    void besidePutsCeleriacsKeysInTheSlotOfCelerysRecord() {
        String record = "celery-task-meta-5a6c7e1e-0d9f-4b8e-9d2a-1f0c2b3a4d5e";
        assertTrue(HashSlot.same(List.of(record, HashSlot.beside(record, ".revoked"),
                HashSlot.beside(record, ".deliveries"))));
        assertThrows(IllegalArgumentException.class, () -> HashSlot.beside("celery-task-meta-{x}", ".revoked"));
    }

    @Test
    void aScriptOnKeysOfSeveralSlotsIsRefusedBeforeAnythingIsSent() {
        LuaScript script = new LuaScript("return 1");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> script.run(null, List.of("celery-task-meta-abc", "celeriac-recent")));
        assertTrue(refused.getMessage().contains("CROSSSLOT"), refused.getMessage());
    }
}
