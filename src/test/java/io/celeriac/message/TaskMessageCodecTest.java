package io.celeriac.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.rabbitmq.client.impl.LongStringHelper;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;

class TaskMessageCodecTest {

    private final JsonMapper mapper = JsonMapper.builder().build();
    private final TaskMessageCodec codec = new TaskMessageCodec();

    private static TaskMessage message() {
        var json = JsonNodeFactory.instance;
        return new TaskMessage("id-1", "add", json.arrayNode().add(2).add(4), json.objectNode().put("c", "x"), null,
                1, "2026-01-01T00:00:05.000000+00:00", null, "id-1", null, null, null, false, "gen42@host",
                Arrays.asList(60.0, 1.5), null, null, null, null);
    }

    /** What Celery 5.2.6's send_task('add', (2, 4)) put on the wire (celery-protocol.md 1.6), as py-amqp types it. */
    private static Map<String, Object> pythonHeaders() {
        Map<String, Object> h = new HashMap<>();
        h.put("lang", LongStringHelper.asLongString("py"));
        h.put("task", LongStringHelper.asLongString("add"));
        h.put("id", LongStringHelper.asLongString("08d5e4e3-6ca9-4ff5-bf39-499060b8f798"));
        h.put("shadow", null);
        h.put("eta", LongStringHelper.asLongString("2026-12-01T07:53:34.209297+00:00"));
        h.put("expires", LongStringHelper.asLongString("2026-12-01T08:03:04.209297+00:00"));
        h.put("group", null);
        h.put("group_index", null);
        h.put("retries", 0);
        h.put("timelimit", new ArrayList<>(List.of(60, 50)));
        h.put("root_id", LongStringHelper.asLongString("08d5e4e3-6ca9-4ff5-bf39-499060b8f798"));
        h.put("parent_id", null);
        h.put("argsrepr", LongStringHelper.asLongString("(2, 4)"));
        h.put("kwargsrepr", LongStringHelper.asLongString("{'z': 1}"));
        h.put("origin", LongStringHelper.asLongString("gen26168@vm"));
        h.put("ignore_result", false);
        return h;
    }

    private static final String PYTHON_BODY = "[[2, 4], {\"z\": 1}, {\"callbacks\": null, \"errbacks\": null, "
            + "\"chain\": null, \"chord\": null}]";

    @Test
    void readsAMessageAsPythonCelerySendsIt() {
        TaskMessage m = codec.decode(pythonHeaders(), PYTHON_BODY.getBytes(StandardCharsets.UTF_8));
        assertEquals("08d5e4e3-6ca9-4ff5-bf39-499060b8f798", m.id());
        assertEquals("add", m.task());
        assertEquals("[2,4]", m.args().toString());
        assertEquals("{\"z\":1}", m.kwargs().toString());
        assertEquals(Optional.of(Duration.ofSeconds(60)), m.hardTimeLimit(), "timelimit is [hard, soft]");
        assertEquals(Optional.of(Duration.ofSeconds(50)), m.softTimeLimit());
        assertEquals(Optional.of(Instant.parse("2026-12-01T07:53:34.209297Z")), m.etaInstant());
        assertEquals(false, m.ignoreResult());
        assertNull(m.embed(), "an embed of nulls chains nothing");
    }

    @Test
    void theLastLinkOfAPythonChainCarriesAnEmptyChainAndChainsNothing() {
        TaskMessage last = codec.decode(Map.of("id", "a", "task", "add"),
                "[[4], {}, {\"callbacks\": null, \"errbacks\": null, \"chain\": [], \"chord\": null}]");
        assertNull(last.embed());
    }

    @Test
    void writesCeleryHeadersAndABodyOfArgsKwargsAndEmbed() throws Exception {
        TaskMessageCodec.Wire wire = codec.encode(message());
        Map<String, Object> h = wire.headers();
        assertEquals(List.of("lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries",
                "timelimit", "root_id", "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result"),
                new ArrayList<>(h.keySet()), "Celery's header set, in its order");
        assertEquals("add", h.get("task"));
        assertEquals(Arrays.asList(60, 1.5), h.get("timelimit"), "[hard, soft]; whole seconds as ints");
        assertEquals("(2, 4)", h.get("argsrepr"));
        assertEquals("{'c': 'x'}", h.get("kwargsrepr"));
        assertEquals(1, h.get("retries"));
        assertEquals(false, h.get("ignore_result"));
        var body = mapper.readTree(wire.body());
        assertEquals("[[2,4],{\"c\":\"x\"},{\"callbacks\":null,\"errbacks\":null,\"chain\":null,\"chord\":null}]",
                body.toString());
    }

    @Test
    void writesTimesWithSixFractionDigitsAndAnOffsetAsCelery52Parses() {
        assertEquals("2026-01-01T00:00:05.123456+00:00",
                CeleryTime.format(Instant.parse("2026-01-01T00:00:05.123456789Z")));
        assertEquals("2026-01-01T00:00:05.000000+00:00", CeleryTime.format(Instant.parse("2026-01-01T00:00:05Z")));
        assertEquals(Instant.parse("2026-01-01T00:00:05Z"), CeleryTime.parse("2026-01-01T00:00:05"),
                "a naive time is UTC, as Celery takes it");
    }

    @Test
    void readsBackWhatItWroteFromEveryPayloadTypeAConnectorHandsOver() {
        TaskMessageCodec.Wire wire = codec.encode(message());
        TaskMessage expected = message();
        assertEquals(expected, codec.decode(wire.headers(), wire.body()));
        assertEquals(expected, codec.decode(wire.headers(), Buffer.buffer(wire.body())));
        assertEquals(expected, codec.decode(wire.headers(), io.vertx.mutiny.core.buffer.Buffer.buffer(wire.body())));
        assertEquals(expected, codec.decode(wire.headers(), new String(wire.body(), StandardCharsets.UTF_8)));
        assertEquals(expected, codec.decode(wire.headers(), new JsonArray(new String(wire.body(),
                StandardCharsets.UTF_8))));
    }

    @Test
    void theStoredFormKeepsTheRouteAndTheEmbed() {
        var json = JsonNodeFactory.instance;
        var embed = json.objectNode();
        embed.putArray("callbacks").addObject().put("task", "log");
        TaskMessage m = new TaskMessage("id-2", "add", json.arrayNode().add(1), json.objectNode(), embed, 0, null,
                null, "root", "parent", "g-1", 3, true, "gen1@h", null, "alias", "reports", 7, null);
        assertEquals(m, codec.restore(codec.store(m)));
    }

    @Test
    void readsTimeLimitsAndRetriesForward() {
        TaskMessage m = message();
        assertEquals(Optional.of(Duration.ofMillis(1500)), m.softTimeLimit());
        assertEquals(Optional.of(Duration.ofSeconds(60)), m.hardTimeLimit());
        TaskMessage retry = m.retry(2, Instant.parse("2026-01-01T00:01:00Z"));
        assertEquals(2, retry.retries());
        assertEquals("2026-01-01T00:01:00.000000+00:00", retry.eta());
        assertEquals(m.id(), retry.id());
        assertEquals(0, retry.fresh().retries());
        assertEquals(null, retry.fresh().eta());
    }

    @Test
    void needsOnlyTheTaskAndIdHeaders() {
        TaskMessage minimal = decode(Map.of("id", "a", "task", "block"), "[[], {}, {}]");
        assertEquals(0, minimal.args().size());
        assertEquals(0, minimal.kwargs().size());
        assertEquals(0, minimal.retries());
        assertNull(minimal.ignoreResult(), "a missing ignore_result leaves the choice to the task");
    }

    @Test
    void protocolVersionOneIsMalformedAndKeepsItsIdForTheRecord() {
        var e = assertThrows(MalformedMessageException.class,
                () -> codec.decode(null, "{\"id\": \"a-1\", \"task\": \"add\", \"args\": [1, 2]}"));
        assertTrue(e.getMessage().contains("protocol v1"), e.getMessage());
        assertEquals("a-1", e.taskId());
    }

    @Test
    void namesWhatIsWrongWithAMalformedMessage() {
        Map<String, Object> ok = Map.of("id", "a", "task", "add");
        assertMalformed(ok, "not json", "not valid JSON");
        assertMalformed(ok, "{\"args\": []}", "not [args, kwargs, embed]");
        assertMalformed(ok, "[1]", "not [args, kwargs, embed]");
        assertMalformed(Map.of("task", "add"), "[[], {}, {}]", "no 'id'");
        assertMalformed(ok, "[{}, {}, {}]", "args (the body's first element) is not a JSON array");
        assertMalformed(ok, "[[], [], {}]", "kwargs (the body's second element) is not a JSON object");
        assertMalformed(ok, "[[], {}, 5]", "embed (the body's third element) is not a JSON object");
        assertMalformed(with(ok, "retries", "x"), "[[], {}, {}]", "'retries' is not a whole number from 0");
        assertMalformed(with(ok, "retries", -1), "[[], {}, {}]", "'retries' is not a whole number from 0");
        assertMalformed(with(ok, "eta", "tomorrow"), "[[], {}, {}]", "'eta' is not an ISO-8601 time");
        assertMalformed(with(ok, "timelimit", 5), "[[], {}, {}]", "'timelimit' is not [hard, soft]");
        assertMalformed(with(ok, "ignore_result", "no"), "[[], {}, {}]", "'ignore_result' is not true or false");
        assertThrows(MalformedMessageException.class, () -> codec.decode(ok, null));
        assertThrows(MalformedMessageException.class, () -> codec.decode(ok, 42));
    }

    @Test
    void absurdTimeLimitsAreMalformedAndNameTheTask() {
        for (Object bad : new Object[] { Arrays.asList(1e12, null), Arrays.asList(null, -1), Arrays.asList(0, 5),
                Arrays.asList(null, 1e300) }) {
            MalformedMessageException e = assertThrows(MalformedMessageException.class,
                    () -> decode(Map.of("id", "t-1", "task", "add", "timelimit", bad), "[[1, 2], {}, {}]"),
                    bad.toString());
            assertTrue(e.getMessage().contains("'timelimit'"), e.getMessage());
            assertEquals("t-1", e.taskId(), "the id is kept, so the sender's record can be closed");
            assertEquals("add", e.task());
        }
        assertEquals(Arrays.asList(3600.0, 0.5),
                decode(Map.of("id", "t-1", "task", "add", "timelimit", List.of(3600, 0.5)), "[[], {}, {}]")
                        .timelimit());
        assertEquals(Arrays.asList(60.0, null),
                decode(Map.of("id", "t-1", "task", "add", "timelimit", "[60, null]"), "[[], {}, {}]").timelimit(),
                "AMQP 1.0 application properties carry it as JSON text");
    }

    @Test
    void idsThatCannotBeKeysOrMessageIdsAreMalformed() {
        for (String id : new String[] { "x".repeat(129), "a{slot}b", "line\nforged", " leading" }) {
            MalformedMessageException e = assertThrows(MalformedMessageException.class,
                    () -> decode(Map.of("id", id, "task", "add"), "[[], {}, {}]"), id);
            assertTrue(e.getMessage().contains("invalid 'id'"), e.getMessage());
        }
        assertEquals("celery-1:beat@x_y.z", decode(Map.of("id", "celery-1:beat@x_y.z", "task", "add"),
                "[[], {}, {}]").id());
    }

    @Test
    void argsReprReadsLikePython() {
        var json = JsonNodeFactory.instance;
        assertEquals("(1,)", PythonRepr.args(json.arrayNode().add(1)));
        assertEquals("(\"it's\", None, True, [1.5], {'k': 'v'})", PythonRepr.args(json.arrayNode().add("it's")
                .addNull().add(true).add(json.arrayNode().add(1.5)).add(json.objectNode().put("k", "v"))));
        assertTrue(PythonRepr.args(json.arrayNode().add("x".repeat(5000))).length() <= PythonRepr.MAX);
    }

    private TaskMessage decode(Map<String, ?> headers, String body) {
        return codec.decode(headers, body);
    }

    private void assertMalformed(Map<String, ?> headers, String body, String expected) {
        var e = assertThrows(MalformedMessageException.class, () -> codec.decode(headers, body));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static Map<String, Object> with(Map<String, Object> headers, String name, Object value) {
        Map<String, Object> more = new HashMap<>(headers);
        more.put(name, value);
        return more;
    }

    @Test
    void theSendersTraceContextTravelsInTheW3cHeaderAndAnythingElseThereIsDropped() {
        String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        TaskMessage traced = message().traced(traceparent);
        TaskMessageCodec.Wire wire = codec.encode(traced);
        assertEquals(traceparent, wire.headers().get("traceparent"));
        assertEquals(traceparent, codec.decode(wire.headers(), wire.body()).traceparent());
        assertEquals(traceparent, codec.restore(codec.store(traced)).traceparent(), "kept by the outbox and delays");
        assertFalse(codec.encode(message()).headers().containsKey("traceparent"), "no header outside a trace");

        for (String odd : List.of("not-a-trace", "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01", "")) {
            Map<String, Object> headers = with(pythonHeaders(), "traceparent", LongStringHelper.asLongString(odd));
            assertNull(codec.decode(headers, PYTHON_BODY.getBytes(StandardCharsets.UTF_8)).traceparent(),
                    "'" + odd + "' starts a trace of its own rather than failing the task");
        }
    }
}
