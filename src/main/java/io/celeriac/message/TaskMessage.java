package io.celeriac.message;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * What travels on the broker for one task call. The fields are those of Celery's message protocol v2 (its headers
 * {@code id, task, retries, eta, expires, root_id, parent_id, ignore_result} and its body's args and kwargs),
 * flattened into one JSON object.
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TaskMessage(
        String id,
        String task,
        ArrayNode args,
        ObjectNode kwargs,
        int retries,
        String eta,
        String expires,
        @JsonProperty("root_id") String rootId,
        @JsonProperty("parent_id") String parentId,
        @JsonProperty("ignore_result") boolean ignoreResult,
        String origin) {
}
