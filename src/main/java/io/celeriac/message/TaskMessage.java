package io.celeriac.message;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * One task call, as Celery's message protocol v2 carries it: the headers ({@code id, task, retries, eta, expires,
 * timelimit, root_id, parent_id, group, group_index, shadow, origin, ignore_result}), the body's args and kwargs, and
 * its embed (callbacks, errbacks, chain, chord; kept as sent, so a canvas passes through). {@code queue} and
 * {@code priority} are where it is routed, not headers. {@code ignoreResult} is null when the sender did not say, and
 * the worker then follows the task's own declaration. {@code timelimit} is {@code [hard, soft]} in seconds, in
 * Celery's order (its documentation says the reverse; its code does not). {@code traceparent} is the W3C trace
 * context of whatever sent it (a header Celery ignores), so the worker's spans join the sender's trace.
 */
@RegisterForReflection
public record TaskMessage(
        String id,
        String task,
        ArrayNode args,
        ObjectNode kwargs,
        ObjectNode embed,
        int retries,
        String eta,
        String expires,
        String rootId,
        String parentId,
        String group,
        Integer groupIndex,
        Boolean ignoreResult,
        String origin,
        List<Double> timelimit,
        String shadow,
        String queue,
        Integer priority,
        String traceparent) {

    /** Celery's {@code timelimit}: {@code [hard, soft]} in seconds, either may be null; null when neither is set. */
    public static List<Double> timelimit(Optional<Duration> soft, Optional<Duration> hard) {
        if (soft.isEmpty() && hard.isEmpty()) {
            return null;
        }
        return Arrays.asList(hard.map(d -> d.toMillis() / 1000.0).orElse(null),
                soft.map(d -> d.toMillis() / 1000.0).orElse(null));
    }

    public Optional<Duration> hardTimeLimit() {
        return limit(0);
    }

    public Optional<Duration> softTimeLimit() {
        return limit(1);
    }

    private Optional<Duration> limit(int index) {
        if (timelimit == null || timelimit.size() <= index || timelimit.get(index) == null) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofMillis(Math.round(timelimit.get(index) * 1000)));
    }

    public Optional<Instant> etaInstant() {
        return Optional.ofNullable(eta).map(CeleryTime::parse);
    }

    public Optional<Instant> expiresInstant() {
        return Optional.ofNullable(expires).map(CeleryTime::parse);
    }

    /** The embed as the body carries it: Celery's four keys, null when there is nothing to chain. */
    public ObjectNode embedOrEmpty() {
        if (embed != null) {
            return embed;
        }
        ObjectNode empty = JsonNodeFactory.instance.objectNode();
        empty.putNull("callbacks").putNull("errbacks").putNull("chain").putNull("chord");
        return empty;
    }

    /** The pre-assigned ids ({@code options.task_id}) of the signatures in the embed, nested ones too. */
    public List<String> canvasTaskIds() {
        List<String> ids = new ArrayList<>();
        if (embed != null) {
            embed.forEach(part -> collectTaskIds(part, ids));
        }
        return ids;
    }

    /** The pre-assigned ids of the tasks after this one in its chain (nested ones too). */
    public List<String> chainTaskIds() {
        List<String> ids = new ArrayList<>();
        if (embed != null) {
            collectTaskIds(embed.path("chain"), ids);
        }
        return ids;
    }

    private static void collectTaskIds(JsonNode node, List<String> ids) {
        if (node.isArray()) {
            node.forEach(item -> collectTaskIds(item, ids));
        } else if (node.isObject()) {
            String id = node.path("options").path("task_id").asText(null);
            if (TaskIds.valid(id) && !ids.contains(id)) {
                ids.add(id);
            }
            node.path("kwargs").forEach(inner -> collectTaskIds(inner, ids));
            collectTaskIds(node.path("options").path("chord"), ids);
        }
    }

    /** The same call sent again for retry number {@code retries}, not before {@code eta}. */
    public TaskMessage retry(int retries, Instant eta) {
        return new TaskMessage(id, task, args, kwargs, embed, retries, CeleryTime.format(eta), expires, rootId,
                parentId, group, groupIndex, ignoreResult, origin, timelimit, shadow, queue, priority, traceparent);
    }

    /** The same call sent afresh (a requeued dead letter): no retries used, due at once. */
    public TaskMessage fresh() {
        return new TaskMessage(id, task, args, kwargs, embed, 0, null, expires, rootId, parentId, group, groupIndex,
                ignoreResult, origin, timelimit, shadow, queue, priority, traceparent);
    }

    /** The same call, routed to {@code queue} with {@code priority} (null: the queue's default). */
    public TaskMessage routed(String queue, Integer priority) {
        return new TaskMessage(id, task, args, kwargs, embed, retries, eta, expires, rootId, parentId, group,
                groupIndex, ignoreResult, origin, timelimit, shadow, queue, priority, traceparent);
    }

    /** The same call, sent from the trace context {@code traceparent} (W3C; null for none). */
    public TaskMessage traced(String traceparent) {
        return new TaskMessage(id, task, args, kwargs, embed, retries, eta, expires, rootId, parentId, group,
                groupIndex, ignoreResult, origin, timelimit, shadow, queue, priority, traceparent);
    }
}
