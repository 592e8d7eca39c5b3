package io.celeriac.message;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * What travels on the broker for one task call. The fields are those of Celery's message protocol v2 (its headers
 * {@code id, task, retries, eta, expires, root_id, parent_id, ignore_result} and its body's args and kwargs),
 * flattened into one JSON object. {@code ignoreResult} is null when the sender did not say, and the worker then
 * follows the task's own declaration.
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
        @JsonProperty("ignore_result") Boolean ignoreResult,
        String origin,
        List<Double> timelimit) {

    /** Celery's {@code timelimit}: {@code [soft, hard]} in seconds, either may be null. */
    public static List<Double> timelimit(Optional<Duration> soft, Optional<Duration> hard) {
        if (soft.isEmpty() && hard.isEmpty()) {
            return null;
        }
        return Arrays.asList(soft.map(d -> d.toMillis() / 1000.0).orElse(null),
                hard.map(d -> d.toMillis() / 1000.0).orElse(null));
    }

    @JsonIgnore
    public Optional<Duration> softTimeLimit() {
        return limit(0);
    }

    @JsonIgnore
    public Optional<Duration> hardTimeLimit() {
        return limit(1);
    }

    private Optional<Duration> limit(int index) {
        if (timelimit == null || timelimit.size() <= index || timelimit.get(index) == null) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis(Math.round(timelimit.get(index) * 1000)));
    }

    @JsonIgnore
    public Optional<Instant> etaInstant() {
        return Optional.ofNullable(eta).map(Instant::parse);
    }

    @JsonIgnore
    public Optional<Instant> expiresInstant() {
        return Optional.ofNullable(expires).map(Instant::parse);
    }

    /** The same call sent again for retry number {@code retries}, not before {@code eta}. */
    public TaskMessage retry(int retries, Instant eta) {
        return new TaskMessage(id, task, args, kwargs, retries, eta.toString(), expires, rootId, parentId,
                ignoreResult, origin, timelimit);
    }

    /** The same call sent afresh (a requeued dead letter): no retries used, due at once. */
    public TaskMessage fresh() {
        return new TaskMessage(id, task, args, kwargs, 0, null, expires, rootId, parentId, ignoreResult, origin,
                timelimit);
    }
}
