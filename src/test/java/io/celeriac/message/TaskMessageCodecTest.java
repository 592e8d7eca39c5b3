package io.celeriac.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

class TaskMessageCodecTest {

    private final JsonMapper mapper = JsonMapper.builder().build();
    private final TaskMessageCodec codec = new TaskMessageCodec();

    private static TaskMessage message() {
        var json = JsonNodeFactory.instance;
        return new TaskMessage("id-1", "add", json.arrayNode().add(2).add(4), json.objectNode().put("c", "x"), 1,
                "2026-01-01T00:00:05Z", null, "id-1", null, false, "42@host", java.util.Arrays.asList(1.5, null));
    }

    @Test
    void writesCeleryProtocolFieldNames() throws Exception {
        var json = mapper.readTree(codec.encode(message()));
        assertEquals("id-1", json.get("id").asText());
        assertEquals("add", json.get("task").asText());
        assertEquals("[2,4]", json.get("args").toString());
        assertEquals("id-1", json.get("root_id").asText());
        assertEquals(false, json.get("ignore_result").asBoolean());
        assertEquals("2026-01-01T00:00:05Z", json.get("eta").asText());
        assertEquals("[1.5,null]", json.get("timelimit").toString(), "Celery's [soft, hard] in seconds");
        assertTrue(!json.has("expires") && !json.has("parent_id"), json.toString());
    }

    @Test
    void readsBackWhatItWroteFromEveryPayloadTypeAConnectorHandsOver() {
        byte[] bytes = codec.encode(message());
        assertEquals(message(), codec.decode(bytes));
        assertEquals(message(), codec.decode(Buffer.buffer(bytes)));
        assertEquals(message(), codec.decode(io.vertx.mutiny.core.buffer.Buffer.buffer(bytes)));
        assertEquals(message(), codec.decode(new String(bytes, StandardCharsets.UTF_8)));
        assertEquals(message(), codec.decode(new JsonObject(new String(bytes, StandardCharsets.UTF_8))));
    }

    @Test
    void readsTimeLimitsAndRetriesForward() {
        TaskMessage m = message();
        assertEquals(java.util.Optional.of(java.time.Duration.ofMillis(1500)), m.softTimeLimit());
        assertEquals(java.util.Optional.empty(), m.hardTimeLimit());
        TaskMessage retry = m.retry(2, java.time.Instant.parse("2026-01-01T00:01:00Z"));
        assertEquals(2, retry.retries());
        assertEquals("2026-01-01T00:01:00Z", retry.eta());
        assertEquals(m.id(), retry.id());
        assertEquals(0, retry.fresh().retries());
        assertEquals(null, retry.fresh().eta());
    }

    @Test
    void fillsOptionalFieldsWithDefaults() {
        TaskMessage minimal = codec.decode("{\"id\": \"a\", \"task\": \"block\"}");
        assertEquals(0, minimal.args().size());
        assertEquals(0, minimal.kwargs().size());
        assertEquals(0, minimal.retries());
    }

    @Test
    void namesWhatIsWrongWithAMalformedMessage() {
        assertMalformed("not json", "not valid JSON");
        assertMalformed("[1]", "not a JSON object");
        assertMalformed("{\"task\": \"add\"}", "no 'id'");
        assertMalformed("{\"id\": \"a\"}", "no 'task'");
        assertMalformed("{\"id\": \"a\", \"task\": \"add\", \"args\": {}}", "'args' is not a JSON array");
        assertMalformed("{\"id\": \"a\", \"task\": \"add\", \"kwargs\": []}", "'kwargs' is not a JSON object");
        assertMalformed("{\"id\": \"a\", \"task\": \"add\", \"retries\": \"x\"}", "'retries' is not a whole number from 0");
        assertMalformed("{\"id\": \"a\", \"task\": \"add\", \"eta\": \"tomorrow\"}", "'eta' is not an ISO-8601 instant");
        assertMalformed("{\"id\": \"a\", \"task\": \"add\", \"timelimit\": 5}", "'timelimit' is not [soft, hard]");
        assertThrows(MalformedMessageException.class, () -> codec.decode(null));
        assertThrows(MalformedMessageException.class, () -> codec.decode(42));
    }

    private void assertMalformed(String body, String expected) {
        var e = assertThrows(MalformedMessageException.class, () -> codec.decode(body));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static String withTimelimit(String timelimit) {
        return "{\"id\":\"t-1\",\"task\":\"add\",\"args\":[1,2],\"timelimit\":" + timelimit + "}";
    }

    @Test
    void absurdTimeLimitsAreMalformedAndNameTheTask() {
        for (String bad : new String[] { "[1e12, null]", "[null, -1]", "[0, 5]", "[null, 1e300]" }) {
            MalformedMessageException e = assertThrows(MalformedMessageException.class,
                    () -> codec.decode(withTimelimit(bad)), bad);
            assertTrue(e.getMessage().contains("'timelimit'"), e.getMessage());
            assertEquals("t-1", e.taskId(), "the id is kept, so the sender's record can be closed");
            assertEquals("add", e.task());
        }
        assertEquals(java.util.Arrays.asList(0.5, 3600.0), codec.decode(withTimelimit("[0.5, 3600]")).timelimit());
    }

    @Test
    void idsThatCannotBeKeysOrMessageIdsAreMalformed() {
        for (String id : new String[] { "x".repeat(129), "a{slot}b", "line\\nforged", " leading" }) {
            String body = "{\"id\":\"" + id + "\",\"task\":\"add\"}";
            MalformedMessageException e = assertThrows(MalformedMessageException.class, () -> codec.decode(body), id);
            assertTrue(e.getMessage().contains("invalid 'id'"), e.getMessage());
        }
        assertEquals("celery-1:beat@x_y.z", codec.decode("{\"id\":\"celery-1:beat@x_y.z\",\"task\":\"add\"}").id());
    }

    @Test
    void aMissingIgnoreResultLeavesTheChoiceToTheTask() {
        assertEquals(null, codec.decode("{\"id\":\"a\",\"task\":\"add\"}").ignoreResult());
        assertEquals(true, codec.decode("{\"id\":\"a\",\"task\":\"add\",\"ignore_result\":true}").ignoreResult());
        assertThrows(MalformedMessageException.class,
                () -> codec.decode("{\"id\":\"a\",\"task\":\"add\",\"ignore_result\":\"no\"}"));
    }

    @Test
    void negativeRetriesAreMalformed() {
        assertThrows(MalformedMessageException.class,
                () -> codec.decode("{\"id\":\"a\",\"task\":\"add\",\"retries\":-1}"));
    }
}
