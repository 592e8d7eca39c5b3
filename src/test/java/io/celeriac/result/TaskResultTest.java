package io.celeriac.result;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.celeriac.message.WireJson;

class TaskResultTest {

    @Test
    void readsWhatAPythonWorkerStoresEvenWithFieldsCeleriacDoesNotWrite() throws Exception {
        // Celery 5.2.6 with result_extended=True, for a chord member (celery-protocol.md 3.2).
        String record = "{\"status\": \"SUCCESS\", \"result\": 6, \"traceback\": null, \"children\": [], "
                + "\"date_done\": \"2026-12-01T07:53:04.314842\", \"name\": \"add\", \"args\": [2, 4], "
                + "\"kwargs\": {\"z\": 1}, \"worker\": \"celery@w1\", \"retries\": 0, \"queue\": \"celery\", "
                + "\"group_id\": \"a6575d42\", \"parent_id\": \"p-1\", \"task_id\": \"d8b4c605\"}";
        TaskResult result = WireJson.MAPPER.readValue(record, TaskResult.class);
        assertTrue(result.successful());
        assertEquals(6, result.result().asInt());
        assertEquals("d8b4c605", result.taskId());
    }
}
