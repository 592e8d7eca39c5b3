package io.celeriac.message;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Task messages to and from bytes. Decoding accepts whatever payload type the connector hands over (AMQP 1.0 parses
 * JSON bodies itself, AMQP 0-9-1 gives a buffer), and fails with {@link MalformedMessageException} naming what is
 * wrong, never with a bare parser error.
 */
@Singleton
public class TaskMessageCodec {

    private final ObjectMapper mapper = WireJson.MAPPER;

    public byte[] encode(TaskMessage message) {
        try {
            return mapper.writeValueAsBytes(message);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode task message " + message.id(), e);
        }
    }

    public String encodeText(TaskMessage message) {
        return new String(encode(message), StandardCharsets.UTF_8);
    }

    public TaskMessage decode(Object payload) {
        JsonNode tree = toTree(payload);
        if (!(tree instanceof ObjectNode json)) {
            throw new MalformedMessageException("task message is not a JSON object");
        }
        String id = requiredText(json, "id");
        String idProblem = TaskIds.problem(id);
        if (idProblem != null) {
            throw new MalformedMessageException("task message has an invalid 'id': " + idProblem);
        }
        String task = requiredText(json, "task");
        ArrayNode args = switch (json.path("args").getNodeType()) {
            case ARRAY -> (ArrayNode) json.get("args");
            case MISSING, NULL -> JsonNodeFactory.instance.arrayNode();
            default -> throw malformed(id, task, "'args' is not a JSON array");
        };
        ObjectNode kwargs = switch (json.path("kwargs").getNodeType()) {
            case OBJECT -> (ObjectNode) json.get("kwargs");
            case MISSING, NULL -> JsonNodeFactory.instance.objectNode();
            default -> throw malformed(id, task, "'kwargs' is not a JSON object");
        };
        JsonNode retries = json.path("retries");
        if (!retries.isMissingNode() && !retries.isNull() && (!retries.canConvertToInt() || retries.asInt() < 0)) {
            throw malformed(id, task, "'retries' is not a whole number from 0");
        }
        String eta = optionalInstant(json, id, task, "eta");
        String expires = optionalInstant(json, id, task, "expires");
        JsonNode ignore = json.path("ignore_result");
        if (!ignore.isMissingNode() && !ignore.isNull() && !ignore.isBoolean()) {
            throw malformed(id, task, "'ignore_result' is not true or false");
        }
        return new TaskMessage(id, task, args, kwargs, retries.asInt(0), eta, expires, optionalText(json, "root_id"),
                optionalText(json, "parent_id"), ignore.isBoolean() ? ignore.booleanValue() : null,
                optionalText(json, "origin"), timelimit(json, id, task));
    }

    private static MalformedMessageException malformed(String id, String task, String problem) {
        return new MalformedMessageException(id, task, "task message " + id + ": " + problem);
    }

    private JsonNode toTree(Object payload) {
        try {
            if (payload instanceof JsonObject json) {
                return mapper.valueToTree(json.getMap());
            }
            if (payload instanceof JsonArray || payload instanceof Map<?, ?>) {
                return mapper.valueToTree(payload instanceof JsonArray a ? a.getList() : payload);
            }
            byte[] bytes;
            if (payload == null) {
                throw new MalformedMessageException("task message has no body");
            } else if (payload instanceof byte[] b) {
                bytes = b;
            } else if (payload instanceof io.vertx.core.buffer.Buffer b) {
                bytes = b.getBytes();
            } else if (payload instanceof io.vertx.mutiny.core.buffer.Buffer b) {
                bytes = b.getBytes();
            } else if (payload instanceof String s) {
                bytes = s.getBytes(StandardCharsets.UTF_8);
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
            throw new MalformedMessageException("task message has no '" + field + "' text field");
        }
        return node.asText();
    }

    private static String optionalInstant(ObjectNode json, String id, String task, String field) {
        String text = optionalText(json, field);
        if (text != null) {
            try {
                Instant.parse(text);
            } catch (RuntimeException e) {
                throw malformed(id, task, "'" + field + "' is not an ISO-8601 instant: " + text);
            }
        }
        return text;
    }

    /** Longer than any task should be given; beyond it, durations also overflow nanosecond arithmetic. */
    static final double MAX_LIMIT_SECONDS = 366 * 24 * 3600.0;

    private static List<Double> timelimit(ObjectNode json, String id, String task) {
        JsonNode limits = json.get("timelimit");
        if (limits == null || limits.isNull()) {
            return null;
        }
        if (!limits.isArray() || limits.size() != 2) {
            throw malformed(id, task, "'timelimit' is not [soft, hard]");
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
        return both;
    }

    private static String optionalText(ObjectNode json, String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }
}
