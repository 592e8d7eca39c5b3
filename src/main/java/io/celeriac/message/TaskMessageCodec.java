package io.celeriac.message;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

    private final ObjectMapper mapper;

    public TaskMessageCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public byte[] encode(TaskMessage message) {
        try {
            return mapper.writeValueAsBytes(message);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode task message " + message.id(), e);
        }
    }

    public TaskMessage decode(Object payload) {
        JsonNode tree = toTree(payload);
        if (!(tree instanceof ObjectNode json)) {
            throw new MalformedMessageException("task message is not a JSON object");
        }
        String id = requiredText(json, "id");
        String task = requiredText(json, "task");
        ArrayNode args = switch (json.path("args").getNodeType()) {
            case ARRAY -> (ArrayNode) json.get("args");
            case MISSING, NULL -> JsonNodeFactory.instance.arrayNode();
            default -> throw new MalformedMessageException("task message " + id + ": 'args' is not a JSON array");
        };
        ObjectNode kwargs = switch (json.path("kwargs").getNodeType()) {
            case OBJECT -> (ObjectNode) json.get("kwargs");
            case MISSING, NULL -> JsonNodeFactory.instance.objectNode();
            default -> throw new MalformedMessageException("task message " + id + ": 'kwargs' is not a JSON object");
        };
        JsonNode retries = json.path("retries");
        if (!retries.isMissingNode() && !retries.isNull() && !retries.canConvertToInt()) {
            throw new MalformedMessageException("task message " + id + ": 'retries' is not an integer");
        }
        String eta = optionalInstant(json, id, "eta");
        String expires = optionalInstant(json, id, "expires");
        return new TaskMessage(id, task, args, kwargs, retries.asInt(0), eta, expires, optionalText(json, "root_id"),
                optionalText(json, "parent_id"), json.path("ignore_result").asBoolean(false),
                optionalText(json, "origin"), timelimit(json, id));
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

    private static String optionalInstant(ObjectNode json, String id, String field) {
        String text = optionalText(json, field);
        if (text != null) {
            try {
                java.time.Instant.parse(text);
            } catch (RuntimeException e) {
                throw new MalformedMessageException("task message " + id + ": '" + field
                        + "' is not an ISO-8601 instant: " + text);
            }
        }
        return text;
    }

    private static java.util.List<Double> timelimit(ObjectNode json, String id) {
        JsonNode limits = json.get("timelimit");
        if (limits == null || limits.isNull()) {
            return null;
        }
        if (!limits.isArray() || limits.size() != 2) {
            throw new MalformedMessageException("task message " + id + ": 'timelimit' is not [soft, hard]");
        }
        java.util.List<Double> both = new java.util.ArrayList<>();
        for (JsonNode limit : limits) {
            if (!limit.isNull() && !limit.isNumber()) {
                throw new MalformedMessageException("task message " + id + ": 'timelimit' holds a non-number");
            }
            both.add(limit.isNull() ? null : limit.asDouble());
        }
        return both;
    }

    private static String optionalText(ObjectNode json, String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? null : node.asText();
    }
}
