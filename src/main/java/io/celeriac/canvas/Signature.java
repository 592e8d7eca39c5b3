package io.celeriac.canvas;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.message.CeleryTime;
import io.celeriac.message.WireJson;

/**
 * A task call that is not sent yet, as Celery's {@code signature}: the task's name, its arguments and its send options,
 * a value that can be passed around, given more arguments, linked to others and sent later through {@link Canvas}.
 * {@link #chain}, {@link #group} and {@link #chord} compose signatures into workflows; they are signatures too, in
 * Celery's shape ({@code celery.chain}, {@code celery.group}, {@code celery.chord} with their parts in the kwargs), so
 * one built here travels in a Python task's message and the other way round. Immutable: every change returns a copy.
 * Arguments are JSON values: pass ids, not entities.
 */
public final class Signature {

    static final String CHAIN = "chain";
    static final String GROUP = "group";
    static final String CHORD = "chord";

    private final String task;
    private final ArrayNode args;
    private final ObjectNode kwargs;
    private final ObjectNode options;
    private final String subtaskType;
    private final boolean immutable;

    private Signature(String task, ArrayNode args, ObjectNode kwargs, ObjectNode options, String subtaskType,
            boolean immutable) {
        this.task = Objects.requireNonNull(task, "task");
        this.args = args == null ? WireJson.MAPPER.createArrayNode() : args.deepCopy();
        this.kwargs = kwargs == null ? WireJson.MAPPER.createObjectNode() : kwargs.deepCopy();
        this.options = options == null ? WireJson.MAPPER.createObjectNode() : options.deepCopy();
        this.subtaskType = subtaskType;
        this.immutable = immutable;
    }

    /** Celery's {@code task.s(*args)}: a call whose parent's result, in a chain, is prepended to {@code args}. */
    public static Signature of(String task, Object... args) {
        return new Signature(task, json(Arrays.asList(args)), null, null, null, false);
    }

    /** Celery's {@code task.si(*args)}: a call that ignores its parent's result. */
    public static Signature immutable(String task, Object... args) {
        return of(task, args).immutable(true);
    }

    /**
     * Celery's {@code chain(a, b, c)}: each runs after the one before succeeded, with its result as first argument
     * (unless immutable). A group followed by another task becomes a chord, as in Celery; nested chains are flattened.
     */
    public static Signature chain(Signature... tasks) {
        return composite("celery.chain", CHAIN, List.of(tasks));
    }

    public static Signature chain(List<Signature> tasks) {
        return composite("celery.chain", CHAIN, tasks);
    }

    /** Celery's {@code group(a, b, c)}: the members run in parallel; their results come back in order. */
    public static Signature group(Signature... tasks) {
        return composite("celery.group", GROUP, List.of(tasks));
    }

    public static Signature group(List<Signature> tasks) {
        return composite("celery.group", GROUP, tasks);
    }

    /**
     * Celery's {@code chord(header, body)}: the body runs once, after every member of the header succeeded, with the
     * list of their results (in the header's order) as first argument.
     */
    public static Signature chord(List<Signature> header, Signature body) {
        return chord(group(header), body);
    }

    public static Signature chord(Signature header, Signature body) {
        Signature group = header.isGroup() ? header : group(header);
        ObjectNode kwargs = WireJson.MAPPER.createObjectNode();
        kwargs.putObject("kwargs");
        kwargs.set("header", group.toJson());
        kwargs.set("body", body.toJson());
        return new Signature("celery.chord", null, kwargs, null, CHORD, false);
    }

    private static Signature composite(String name, String type, List<Signature> tasks) {
        ObjectNode kwargs = WireJson.MAPPER.createObjectNode();
        ArrayNode list = kwargs.putArray("tasks");
        for (Signature member : tasks) {
            list.add(Objects.requireNonNull(member, "a member of a " + type).toJson());
        }
        return new Signature(name, null, kwargs, null, type, false);
    }

    /**
     * Reads a signature as Celery writes it (a dict with {@code task, args, kwargs, options, subtask_type,
     * immutable}); missing parts are empty. Throws {@link IllegalArgumentException} for anything else.
     */
    public static Signature fromJson(JsonNode node) {
        if (node == null || !node.isObject() || !node.path("task").isTextual()) {
            throw new IllegalArgumentException("not a Celery signature (an object with a task name): " + node);
        }
        JsonNode args = node.path("args");
        JsonNode kwargs = node.path("kwargs");
        JsonNode options = node.path("options");
        JsonNode type = node.path("subtask_type");
        return new Signature(node.get("task").textValue(), args.isArray() ? (ArrayNode) args : null,
                kwargs.isObject() ? (ObjectNode) kwargs : null, options.isObject() ? (ObjectNode) options : null,
                type.isTextual() ? type.textValue() : null, node.path("immutable").asBoolean(false));
    }

    /** Celery's dict shape, as it travels in messages. */
    public ObjectNode toJson() {
        ObjectNode node = WireJson.MAPPER.createObjectNode();
        node.put("task", task);
        node.set("args", args.deepCopy());
        node.set("kwargs", kwargs.deepCopy());
        node.set("options", options.deepCopy());
        if (subtaskType == null) {
            node.putNull("subtask_type");
        } else {
            node.put("subtask_type", subtaskType);
        }
        node.put("immutable", immutable);
        return node;
    }

    public String task() {
        return task;
    }

    public ArrayNode args() {
        return args.deepCopy();
    }

    public ObjectNode kwargs() {
        return kwargs.deepCopy();
    }

    public ObjectNode options() {
        return options.deepCopy();
    }

    public boolean isImmutable() {
        return immutable;
    }

    /** Null for a plain task; {@code chain}, {@code group} or {@code chord} for a workflow. */
    public String subtaskType() {
        return subtaskType;
    }

    boolean isChain() {
        return CHAIN.equals(subtaskType);
    }

    boolean isGroup() {
        return GROUP.equals(subtaskType);
    }

    boolean isChord() {
        return CHORD.equals(subtaskType);
    }

    /** The id this call will run under, when one is assigned already. */
    public String id() {
        JsonNode id = options.path("task_id");
        return id.isTextual() ? id.textValue() : null;
    }

    /** The members of a chain or a group. */
    List<Signature> tasks() {
        List<Signature> members = new ArrayList<>();
        JsonNode list = isChord() ? kwargs.path("header").path("kwargs").path("tasks") : kwargs.path("tasks");
        list.forEach(member -> members.add(fromJson(member)));
        return members;
    }

    /** A chord's header, as a group. */
    Signature header() {
        return fromJson(kwargs.path("header"));
    }

    /** A chord's body. */
    Signature body() {
        return fromJson(kwargs.path("body"));
    }

    /** Celery's partial application: {@code more} go before the arguments this signature has. */
    public Signature withArgsFirst(ArrayNode more) {
        if (more == null || more.isEmpty()) {
            return this;
        }
        ArrayNode joined = more.deepCopy();
        joined.addAll(args);
        return new Signature(task, joined, kwargs, options, subtaskType, immutable);
    }

    /** The same call with named arguments added (they win over those it has). */
    public Signature withKwargs(Map<String, ?> more) {
        ObjectNode joined = kwargs.deepCopy();
        more.forEach((name, value) -> joined.set(name, WireJson.MAPPER.valueToTree(value)));
        return new Signature(task, args, joined, options, subtaskType, immutable);
    }

    /** The same call, ignoring ({@code true}) or receiving its parent's result. */
    public Signature immutable(boolean value) {
        return new Signature(task, args, kwargs, options, subtaskType, value);
    }

    /** The same call with one send option set, by Celery's name ({@code queue}, {@code priority}, ...). */
    public Signature set(String option, Object value) {
        ObjectNode changed = options.deepCopy();
        changed.set(option, value instanceof Signature s ? s.toJson() : WireJson.MAPPER.valueToTree(value));
        return new Signature(task, args, kwargs, changed, subtaskType, immutable);
    }

    /** The same call under a given id. */
    public Signature withId(String taskId) {
        return set("task_id", taskId);
    }

    public Signature queue(String queue) {
        return set("queue", queue);
    }

    public Signature priority(int priority) {
        return set("priority", priority);
    }

    /** Not run before {@code countdown} has passed since it was sent (Celery's {@code countdown}). */
    public Signature countdown(Duration countdown) {
        return set("countdown", countdown.toMillis() / 1000.0);
    }

    /** Recorded as REVOKED without running if it has not started by then. */
    public Signature expires(Instant expires) {
        return set("expires", CeleryTime.format(expires));
    }

    /** Hard ({@code time_limit}) and soft time limits, in Celery's option names. */
    public Signature timeLimits(Duration hard, Duration soft) {
        Signature limited = this;
        if (hard != null) {
            limited = limited.set("time_limit", hard.toMillis() / 1000.0);
        }
        if (soft != null) {
            limited = limited.set("soft_time_limit", soft.toMillis() / 1000.0);
        }
        return limited;
    }

    /** Celery's {@code link}: {@code callback} is sent with this call's result as first argument once it succeeded. */
    public Signature link(Signature callback) {
        return appended("link", callback);
    }

    /** Celery's {@code link_error}: {@code errback} is sent with this call's id as first argument if it fails. */
    public Signature linkError(Signature errback) {
        return appended("link_error", errback);
    }

    private Signature appended(String option, Signature callback) {
        ObjectNode changed = options.deepCopy();
        JsonNode existing = changed.path(option);
        ArrayNode list = WireJson.MAPPER.createArrayNode();
        if (existing.isArray()) {
            list.addAll((ArrayNode) existing);
        } else if (existing.isObject()) {
            list.add(existing);
        }
        list.add(callback.toJson());
        changed.set(option, list);
        return new Signature(task, args, kwargs, changed, subtaskType, immutable);
    }

    Signature withOptions(ObjectNode changed) {
        return new Signature(task, args, kwargs, changed, subtaskType, immutable);
    }

    Signature withKwargsNode(ObjectNode changed) {
        return new Signature(task, args, changed, options, subtaskType, immutable);
    }

    private static ArrayNode json(List<Object> values) {
        ArrayNode array = WireJson.MAPPER.createArrayNode();
        for (Object value : values) {
            array.add(WireJson.MAPPER.<JsonNode>valueToTree(value));
        }
        return array;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Signature s && toJson().equals(s.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return task + args + (kwargs.isEmpty() ? "" : kwargs.toString()) + (immutable ? " (immutable)" : "");
    }
}
