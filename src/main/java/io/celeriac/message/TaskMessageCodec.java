package io.celeriac.message;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.config.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Task messages in Celery's protocol v2, to and from what a broker carries: headers (the call's metadata) and a JSON
 * body {@code [args, kwargs, embed]}. Also their stored form (the delayed queue, dead letters): the same headers and
 * body in one JSON object, plus the queue and priority. Decoding fails with {@link MalformedMessageException} naming
 * what is wrong, never with a bare parser error; it reads header values as each client types them (AMQP long strings,
 * 32- or 64-bit ints, nulls).
 */
@Singleton
public class TaskMessageCodec {

    /** What goes on the wire: headers (in Celery's order) and the body's bytes. */
    public record Wire(Map<String, Object> headers, byte[] body) {
    }

    private static final String LANG = "java";
    /** The W3C header, which Celery's workers ignore; OpenTelemetry's Python instrumentation reads it too. */
    public static final String TRACEPARENT = "traceparent";
    private static final java.util.regex.Pattern TRACEPARENT_FORMAT = java.util.regex.Pattern
            .compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    private final ObjectMapper mapper = WireJson.MAPPER;
    private final String origin = "gen" + Node.id();

    public Wire encode(TaskMessage message) {
        return new Wire(headers(message), bytes(body(message)));
    }

    private Map<String, Object> headers(TaskMessage message) {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("lang", LANG);
        headers.put("task", message.task());
        headers.put("id", message.id());
        headers.put("shadow", message.shadow());
        headers.put("eta", message.eta());
        headers.put("expires", message.expires());
        headers.put("group", message.group());
        headers.put("group_index", message.groupIndex());
        headers.put("retries", message.retries());
        headers.put("timelimit", message.timelimit() == null ? Arrays.asList(null, null)
                : message.timelimit().stream().map(TaskMessageCodec::seconds).toList());
        headers.put("root_id", message.rootId() != null ? message.rootId() : message.id());
        headers.put("parent_id", message.parentId());
        headers.put("argsrepr", PythonRepr.args(message.args()));
        headers.put("kwargsrepr", PythonRepr.of(message.kwargs()));
        headers.put("origin", message.origin() != null ? message.origin() : origin);
        headers.put("ignore_result", Boolean.TRUE.equals(message.ignoreResult()));
        if (message.traceparent() != null) {
            headers.put(TRACEPARENT, message.traceparent());
        }
        return headers;
    }

    /** A whole number of seconds goes as an int, as Python writes it; ints fit the 32-bit AMQP type. */
    private static Object seconds(Double limit) {
        if (limit == null) {
            return null;
        }
        return limit == Math.rint(limit) && limit < Integer.MAX_VALUE ? (Object) limit.intValue() : limit;
    }

    private ArrayNode body(TaskMessage message) {
        ArrayNode body = mapper.createArrayNode();
        body.add(message.args());
        body.add(message.kwargs());
        body.add(message.embedOrEmpty());
        return body;
    }

    /** A delivery: its headers (null if it had none) and its body as the connector hands it over. */
    public TaskMessage decode(Map<String, ?> headers, Object payload) {
        ObjectNode fields = headers == null ? mapper.createObjectNode() : normalize(headers);
        return decode(fields, toTree(payload));
    }

    /** The stored form of a message, for Redis. */
    public String store(TaskMessage message) {
        ObjectNode stored = mapper.createObjectNode();
        stored.set("headers", mapper.valueToTree(headers(message)));
        stored.set("body", body(message));
        stored.put("queue", message.queue());
        if (message.priority() != null) {
            stored.put("priority", message.priority());
        }
        return text(stored);
    }

    /** What a delivery that could not be decoded held, stored as a dead letter for an operator to read. */
    public String storeRaw(Map<String, ?> headers, Object payload) {
        ObjectNode stored = mapper.createObjectNode();
        stored.set("headers", headers == null ? mapper.nullNode() : normalize(headers));
        stored.put("body", raw(payload));
        return text(stored);
    }

    public TaskMessage restore(String stored) {
        JsonNode tree = toTree(stored);
        if (!(tree.get("headers") instanceof ObjectNode headers) || !tree.has("body")) {
            throw new MalformedMessageException("stored task message has no headers and body");
        }
        TaskMessage message = decode(headers, tree.get("body"));
        JsonNode priority = tree.path("priority");
        return message.routed(tree.path("queue").isTextual() ? tree.get("queue").asText() : null,
                priority.canConvertToInt() ? priority.asInt() : null);
    }

    private TaskMessage decode(ObjectNode headers, JsonNode body) {
        if (!headers.hasNonNull("task")) {
            String id = body.path("id").isTextual() ? body.get("id").asText() : null;
            throw new MalformedMessageException(TaskIds.valid(id) ? id : null, body.path("task").asText(null),
                    "not a Celery protocol v2 message (no 'task' header): Celeriac does not run protocol v1 messages");
        }
        String id = requiredText(headers, "id");
        String idProblem = TaskIds.problem(id);
        if (idProblem != null) {
            throw new MalformedMessageException("task message has an invalid 'id': " + idProblem);
        }
        String task = requiredText(headers, "task");
        if (!body.isArray() || body.size() < 2 || body.size() > 3) {
            throw malformed(id, task, "the body is not [args, kwargs, embed]");
        }
        ArrayNode args = switch (body.get(0).getNodeType()) {
            case ARRAY -> (ArrayNode) body.get(0);
            case NULL -> JsonNodeFactory.instance.arrayNode();
            default -> throw malformed(id, task, "args (the body's first element) is not a JSON array");
        };
        ObjectNode kwargs = switch (body.get(1).getNodeType()) {
            case OBJECT -> (ObjectNode) body.get(1);
            case NULL -> JsonNodeFactory.instance.objectNode();
            default -> throw malformed(id, task, "kwargs (the body's second element) is not a JSON object");
        };
        JsonNode embedNode = body.path(2);
        ObjectNode embed = switch (embedNode.getNodeType()) {
            // Celery's client sends {callbacks: null, errbacks: null, chain: null, chord: null} for a plain call,
            // and a Python worker sends the last link of a chain with "chain": [].
            case OBJECT -> embedNode.properties().stream().allMatch(e -> e.getValue().isNull()
                    || (e.getValue().isArray() && e.getValue().isEmpty())) ? null : (ObjectNode) embedNode;
            case NULL, MISSING -> null;
            default -> throw malformed(id, task, "embed (the body's third element) is not a JSON object");
        };
        JsonNode retries = headers.path("retries");
        if (!retries.isMissingNode() && !retries.isNull() && (!retries.canConvertToInt() || retries.asInt() < 0)) {
            throw malformed(id, task, "'retries' is not a whole number from 0");
        }
        JsonNode ignore = headers.path("ignore_result");
        if (!ignore.isMissingNode() && !ignore.isNull() && !ignore.isBoolean()) {
            throw malformed(id, task, "'ignore_result' is not true or false");
        }
        JsonNode groupIndex = headers.path("group_index");
        return new TaskMessage(id, task, args, kwargs, embed, retries.asInt(0),
                optionalInstant(headers, id, task, "eta"), optionalInstant(headers, id, task, "expires"),
                optionalText(headers, "root_id"), optionalText(headers, "parent_id"), optionalText(headers, "group"),
                groupIndex.canConvertToInt() ? groupIndex.asInt() : null,
                ignore.isBoolean() ? ignore.booleanValue() : null, optionalText(headers, "origin"),
                timelimit(headers, id, task), optionalText(headers, "shadow"), null, null, traceparent(headers));
    }

    /**
     * The sender's W3C trace context, when it is one: anything else in the header (another tracer's format, a
     * truncated value) only means the task starts a trace of its own, so it is dropped rather than refused.
     */
    private static String traceparent(ObjectNode headers) {
        String value = optionalText(headers, TRACEPARENT);
        return value != null && TRACEPARENT_FORMAT.matcher(value).matches() ? value : null;
    }

    private static MalformedMessageException malformed(String id, String task, String problem) {
        return new MalformedMessageException(id, task, "task message " + id + ": " + problem);
    }

    /** Header values as JSON, whatever the client's types: strings (AMQP long strings), numbers, lists, tables. */
    private ObjectNode normalize(Map<String, ?> headers) {
        ObjectNode json = mapper.createObjectNode();
        headers.forEach((name, value) -> json.set(name, normalizeValue(value)));
        return json;
    }

    private JsonNode normalizeValue(Object value) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        if (value == null) {
            return nodes.nullNode();
        }
        if (value instanceof Boolean b) {
            return nodes.booleanNode(b);
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return nodes.numberNode(((Number) value).longValue());
        }
        if (value instanceof Number n) {
            return nodes.numberNode(n.doubleValue());
        }
        if (value instanceof byte[] bytes) {
            return nodes.textNode(new String(bytes, StandardCharsets.UTF_8));
        }
        if (value instanceof JsonObject object) {
            return normalize(object.getMap());
        }
        if (value instanceof JsonArray array) {
            return normalizeValue(array.getList());
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode json = nodes.objectNode();
            map.forEach((k, v) -> json.set(String.valueOf(k), normalizeValue(v)));
            return json;
        }
        if (value instanceof List<?> list) {
            ArrayNode json = nodes.arrayNode();
            list.forEach(v -> json.add(normalizeValue(v)));
            return json;
        }
        if (value instanceof JsonNode node) {
            return node;
        }
        // AMQP 0-9-1 long strings (the RabbitMQ client's LongString) and anything else print as their text.
        return nodes.textNode(value.toString());
    }

    private JsonNode toTree(Object payload) {
        try {
            byte[] bytes;
            if (payload == null) {
                throw new MalformedMessageException("task message has no body");
            } else if (payload instanceof JsonNode node) {
                return node;
            } else if (payload instanceof byte[] b) {
                bytes = b;
            } else if (payload instanceof io.vertx.core.buffer.Buffer b) {
                bytes = b.getBytes();
            } else if (payload instanceof io.vertx.mutiny.core.buffer.Buffer b) {
                bytes = b.getBytes();
            } else if (payload instanceof String s) {
                bytes = s.getBytes(StandardCharsets.UTF_8);
            } else if (payload instanceof JsonObject json) {
                bytes = json.toBuffer().getBytes();
            } else if (payload instanceof JsonArray json) {
                bytes = json.toBuffer().getBytes();
            } else {
                throw new MalformedMessageException(
                        "task message body of unsupported type " + payload.getClass().getName());
            }
            return mapper.readTree(bytes);
        } catch (IOException | IllegalArgumentException e) {
            throw new MalformedMessageException("task message is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static String requiredText(ObjectNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw new MalformedMessageException("task message has no '" + field + "' text header");
        }
        return node.asText();
    }

    private static String optionalInstant(ObjectNode json, String id, String task, String field) {
        String text = optionalText(json, field);
        if (text != null) {
            try {
                CeleryTime.parse(text);
            } catch (RuntimeException e) {
                throw malformed(id, task, "'" + field + "' is not an ISO-8601 time: " + text);
            }
        }
        return text;
    }

    /** Longer than any task should be given; beyond it, durations also overflow nanosecond arithmetic. */
    static final double MAX_LIMIT_SECONDS = 366 * 24 * 3600.0;

    private List<Double> timelimit(ObjectNode json, String id, String task) {
        JsonNode limits = json.get("timelimit");
        if (limits != null && limits.isTextual()) {
            // AMQP 1.0 application properties hold no lists: Celeriac sends this one as JSON text there.
            try {
                limits = mapper.readTree(limits.asText());
            } catch (IOException e) {
                throw malformed(id, task, "'timelimit' is not [hard, soft]");
            }
        }
        if (limits == null || limits.isNull()) {
            return null;
        }
        if (!limits.isArray() || limits.size() != 2) {
            throw malformed(id, task, "'timelimit' is not [hard, soft]");
        }
        List<Double> both = new ArrayList<>();
        for (JsonNode limit : limits) {
            if (limit.isNull()) {
                both.add(null);
                continue;
            }
            if (!limit.isNumber() || !(limit.asDouble() > 0) || limit.asDouble() > MAX_LIMIT_SECONDS) {
                throw malformed(id, task, "'timelimit' holds " + limit + ": each limit is null or a number of "
                        + "seconds above 0 and at most " + (long) MAX_LIMIT_SECONDS);
            }
            both.add(limit.asDouble());
        }
        return both.get(0) == null && both.get(1) == null ? null : both;
    }

    private static String optionalText(ObjectNode json, String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }

    private byte[] bytes(JsonNode json) {
        try {
            return mapper.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a task message", e);
        }
    }

    private String text(JsonNode json) {
        return new String(bytes(json), StandardCharsets.UTF_8);
    }

    /** A body's text, whatever the connector made of it. */
    public static String raw(Object payload) {
        if (payload instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (payload instanceof io.vertx.core.buffer.Buffer buffer) {
            return buffer.toString(StandardCharsets.UTF_8);
        }
        if (payload instanceof io.vertx.mutiny.core.buffer.Buffer buffer) {
            return buffer.toString(StandardCharsets.UTF_8.name());
        }
        if (payload instanceof JsonObject json) {
            return json.encode();
        }
        if (payload instanceof JsonArray json) {
            return json.encode();
        }
        return String.valueOf(payload);
    }
}
