package io.celeriac.canvas;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.client.AsyncResult;
import io.celeriac.client.GroupResult;
import io.celeriac.client.Routes;
import io.celeriac.client.TaskClient;
import io.celeriac.message.CeleryTime;
import io.celeriac.message.TaskIds;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.WireJson;
import io.celeriac.result.GroupStore;
import io.celeriac.result.ResultStore;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TaskRegistry;

/**
 * Sends signatures, as Celery's {@code apply_async} does for each kind: a task is one message; a chain sends its first
 * task with the rest of the chain in the message's embed (reversed, as Celery carries it), so no coordinator holds
 * its state; a group sends its members under one group id and saves the group; a chord writes its size to Redis,
 * then sends its header members, each carrying the body. Workers use the same code to send what follows a task. Every
 * id is assigned before the first message leaves ({@link #freeze}), so the handle of a chain's last task or a chord's
 * body is known, and answers PENDING, at once.
 */
@ApplicationScoped
public class Canvas {

    private final TaskClient client;
    private final TaskRegistry registry;
    private final Routes routes;
    private final ResultStore results;
    private final GroupStore groups;
    private final Chords chords;
    private final java.time.Duration timeout;

    public Canvas(TaskClient client, TaskRegistry registry, Routes routes, ResultStore results, GroupStore groups,
            Chords chords, io.celeriac.config.CeleriacConfig config) {
        this.timeout = config.taskPublishTimeout();
        this.client = client;
        this.registry = registry;
        this.routes = routes;
        this.results = results;
        this.groups = groups;
        this.chords = chords;
    }

    /** Who sent a message: the first task of the workflow and the task it follows. */
    record Lineage(String rootId, String parentId) {
    }

    /**
     * Sends a task, a chain or a chord; the handle is that of the task whose result ends it (a chain's last task,
     * with the tasks before it as {@link AsyncResult#parent()}, or a chord's body). A group has one result per member:
     * send it with {@link #applyGroup}.
     */
    public AsyncResult<Object> apply(Signature signature) {
        Signature frozen = freeze(signature);
        if (endsInGroup(frozen)) {
            throw new IllegalArgumentException("'" + signature.task() + "' ends in a group, which has one result per "
                    + "member: send a group with applyGroup, or end the workflow with a task (a chord)");
        }
        start(frozen);
        return handle(frozen);
    }

    /** Sends a group; its handle has one result per member, in order, and is saved so that it can be restored. */
    public GroupResult applyGroup(Signature group) {
        if (!group.isGroup()) {
            throw new IllegalArgumentException("'" + group.task() + "' is not a group: send it with apply");
        }
        Signature frozen = freeze(group);
        start(frozen);
        return client.group(frozen.id(), frozen.tasks().stream().map(Canvas::resultId).toList());
    }

    /**
     * Assigns an id to every task of the workflow that has none (idempotent: a signature frozen by Python keeps its
     * ids), flattens nested chains and turns a group followed by a task, inside a chain, into a chord, as Celery does.
     */
    public Signature freeze(Signature signature) {
        if (signature.isChain()) {
            List<Signature> flat = new ArrayList<>();
            flatten(signature, flat);
            List<Signature> steps = new ArrayList<>();
            for (int i = 0; i < flat.size(); i++) {
                Signature step = flat.get(i);
                if (step.isGroup() && i + 1 < flat.size()) {
                    step = Signature.chord(step, flat.get(++i));
                }
                steps.add(step);
            }
            // As Celery's chain does with its own options: link_error on every task, link on the last one.
            ObjectNode own = signature.options();
            for (int i = 0; i < steps.size(); i++) {
                Signature step = steps.get(i);
                for (JsonNode errback : own.path("link_error")) {
                    step = step.linkError(Signature.fromJson(errback));
                }
                if (i == steps.size() - 1) {
                    for (JsonNode callback : own.path("link")) {
                        step = step.link(Signature.fromJson(callback));
                    }
                }
                steps.set(i, freeze(step));
            }
            own.remove(List.of("link", "link_error"));
            return replaceTasks(signature.withOptions(own), "tasks", steps);
        }
        if (signature.isGroup()) {
            String groupId = signature.id() != null ? signature.id() : UUID.randomUUID().toString();
            List<Signature> members = new ArrayList<>();
            for (Signature member : flatGroup(signature)) {
                members.add(freeze(member.isChain() || member.isChord() ? member : member.set("group_id", groupId)));
            }
            return replaceTasks(signature, "tasks", members).withId(groupId);
        }
        if (signature.isChord()) {
            Signature header = signature.header();
            String groupId = header.id() != null ? header.id() : UUID.randomUUID().toString();
            List<Signature> members = new ArrayList<>();
            for (Signature member : header.tasks()) {
                if (member.isGroup() || member.isChord()) {
                    throw new IllegalArgumentException("a chord's header holds tasks and chains; '" + member.task()
                            + "' is a " + member.subtaskType() + ": flatten it into the header");
                }
                members.add(freeze(member));
            }
            // A chord's own link and link_error are its body's, as in Celery.
            Signature body = signature.body();
            ObjectNode own = signature.options();
            for (JsonNode callback : own.path("link")) {
                body = body.link(Signature.fromJson(callback));
            }
            for (JsonNode errback : own.path("link_error")) {
                body = body.linkError(Signature.fromJson(errback));
            }
            own.remove(List.of("link", "link_error"));
            // Its id is its group's, as Celery freezes it: a Python worker failing the chain before it finds it.
            own.put("task_id", groupId);
            ObjectNode kwargs = signature.kwargs();
            kwargs.set("header", replaceTasks(header, "tasks", members).withId(groupId).toJson());
            kwargs.set("body", freeze(body).toJson());
            return signature.withOptions(own).withKwargsNode(kwargs);
        }
        return signature.id() != null ? signature : signature.withId(UUID.randomUUID().toString());
    }

    /**
     * A new workflow from a client: every id PENDING, then its first messages out. If they cannot be sent, every
     * task of it is recorded as not sent (the caller gets the exception), rather than left PENDING.
     */
    private void start(Signature frozen) {
        List<ResultStore.Sent> pending = new ArrayList<>();
        collectPending(frozen, pending);
        results.sentAll(pending, timeout);
        try {
            send(frozen, null, List.of(), null);
        } catch (RuntimeException e) {
            if (!(e instanceof io.celeriac.client.TaskSendUncertainException)) {
                for (ResultStore.Sent task : pending) {
                    try {
                        results.failed(task.taskId(), task.name(), e);
                    } catch (RuntimeException ignored) {
                        // The store is down as well: the records expire.
                    }
                }
            }
            throw e;
        }
    }

    /**
     * Sends a frozen signature with {@code partial} before its own arguments (a parent's result), followed by
     * {@code rest} (the chain after it, reversed as in Celery's embed), as the child of {@code lineage} (null: a new
     * workflow). Its messages go out together and are confirmed before this returns.
     */
    void send(Signature signature, ArrayNode partial, List<JsonNode> rest, Lineage lineage) {
        List<TaskMessage> out = new ArrayList<>();
        collect(signature, partial, rest, lineage, out);
        client.enqueueAll(out);
    }

    private void collect(Signature signature, ArrayNode partial, List<JsonNode> rest, Lineage lineage,
            List<TaskMessage> out) {
        if (signature.isChain()) {
            List<Signature> steps = signature.tasks();
            if (steps.isEmpty()) {
                return;
            }
            List<JsonNode> after = new ArrayList<>(rest);
            for (int i = steps.size() - 1; i >= 1; i--) {
                after.add(steps.get(i).toJson());
            }
            collect(steps.get(0), partial, after, lineage, out);
        } else if (signature.isGroup()) {
            if (!rest.isEmpty()) {
                // A group followed by a task: Celery's chain makes it a chord with that task as body.
                Signature body = Signature.fromJson(rest.get(rest.size() - 1));
                collect(freeze(Signature.chord(signature, body)), partial, rest.subList(0, rest.size() - 1), lineage,
                        out);
                return;
            }
            List<Signature> members = signature.tasks();
            groups.save(signature.id(), members.stream().map(Canvas::resultId).toList());
            for (Signature member : members) {
                collect(member, partial, List.of(), lineage, out);
            }
        } else if (signature.isChord()) {
            collectChord(signature, partial, rest, lineage, out);
        } else {
            out.add(message(signature, partial, rest, lineage));
        }
    }

    private void collectChord(Signature chord, ArrayNode partial, List<JsonNode> rest, Lineage lineage,
            List<TaskMessage> out) {
        Signature header = chord.header();
        Signature body = chord.body();
        if (!rest.isEmpty()) {
            // What follows the chord in a chain follows its body.
            List<JsonNode> after = new ArrayList<>(rest);
            body.options().path("chain").forEach(after::add);
            body = body.set("chain", after);
        }
        List<Signature> members = header.tasks();
        if (members.isEmpty()) {
            collect(body, WireJson.MAPPER.createArrayNode().add(WireJson.MAPPER.createArrayNode()), List.of(), null,
                    out);
            return;
        }
        String groupId = header.id();
        // Saved for the progress views, under a key of Celeriac's: Celery saves a chord's group only when it nests
        // groups, and a Python worker completing a chord whose group is saved joins it instead of counting.
        groups.saveChord(groupId, members.stream().map(Canvas::resultId).toList(), resultId(body));
        chords.size(groupId, members.size());
        for (int i = 0; i < members.size(); i++) {
            collect(stamped(members.get(i), groupId, i, body), partial, List.of(), lineage, out);
        }
    }

    /** A header member that reports to its chord: a task, or a chain whose last task does. */
    private static Signature stamped(Signature member, String groupId, int index, Signature body) {
        if (member.isChain()) {
            List<Signature> steps = new ArrayList<>(member.tasks());
            int last = steps.size() - 1;
            steps.set(last, stamped(steps.get(last), groupId, index, body));
            return replaceTasks(member, "tasks", steps);
        }
        return member.set("group_id", groupId).set("group_index", index).set("chord", body);
    }

    /** The message of a plain task, as Celery's {@code Signature.apply_async} builds it. */
    private TaskMessage message(Signature signature, ArrayNode partial, List<JsonNode> rest, Lineage lineage) {
        ObjectNode options = signature.options();
        String id = text(options, "task_id");
        if (!TaskIds.valid(id)) {
            throw new IllegalArgumentException("task id of '" + signature.task() + "': " + TaskIds.problem(id));
        }
        String task = signature.task();
        ArrayNode args = signature.isImmutable() || partial == null ? signature.args()
                : signature.withArgsFirst(partial).args();
        // A chord's body gets every member's result: bounded as any call's arguments are.
        client.checkSize(task, args, signature.kwargs());
        Optional<TaskDefinition> own = registry.find(task);
        String queue = routes.queue(task,
                Optional.ofNullable(text(options, "queue")).or(() -> Optional.ofNullable(text(options, "routing_key"))),
                own.flatMap(d -> d.options().queue()));
        Integer priority = options.path("priority").isNumber() ? Integer.valueOf(options.get("priority").asInt())
                : own.flatMap(d -> d.options().priority()).orElse(null);
        String eta = text(options, "eta");
        if (eta == null && options.path("countdown").isNumber()) {
            eta = CeleryTime.format(Instant.now().plusMillis(Math.round(options.get("countdown").asDouble() * 1000)));
        }
        String expires = options.path("expires").isNumber()
                ? CeleryTime.format(Instant.now().plusMillis(Math.round(options.get("expires").asDouble() * 1000)))
                : text(options, "expires");
        List<Double> timelimit = null;
        if (options.path("time_limit").isNumber() || options.path("soft_time_limit").isNumber()) {
            timelimit = new ArrayList<>(2);
            timelimit.add(options.path("time_limit").isNumber() ? options.get("time_limit").asDouble() : null);
            timelimit.add(options.path("soft_time_limit").isNumber() ? options.get("soft_time_limit").asDouble() : null);
        }
        Boolean ignoreResult = options.path("ignore_result").isBoolean()
                ? Boolean.valueOf(options.get("ignore_result").asBoolean())
                : own.map(TaskDefinition::ignoreResult).orElse(null);
        ObjectNode embed = WireJson.MAPPER.createObjectNode();
        embed.set("callbacks", list(options.get("link")));
        embed.set("errbacks", list(options.get("link_error")));
        List<JsonNode> chain = new ArrayList<>(rest);
        options.path("chain").forEach(chain::add);
        embed.set("chain", chain.isEmpty() ? WireJson.MAPPER.nullNode() : WireJson.MAPPER.valueToTree(chain));
        JsonNode chord = options.get("chord");
        embed.set("chord", chord != null && chord.isObject() ? chord : WireJson.MAPPER.nullNode());
        boolean empty = embed.properties().stream().allMatch(e -> e.getValue().isNull());
        JsonNode groupIndex = options.get("group_index");
        return new TaskMessage(id, task, args, signature.kwargs(), empty ? null : embed, 0, eta, expires,
                lineage == null ? id : lineage.rootId(), lineage == null ? null : lineage.parentId(),
                text(options, "group_id"), groupIndex != null && groupIndex.isInt() ? groupIndex.asInt() : null,
                ignoreResult, null, timelimit, text(options, "shadow"), queue, priority, null);
    }

    /** A PENDING record for every task of the workflow, so each id is known before the first message leaves. */
    private void collectPending(Signature frozen, List<ResultStore.Sent> into) {
        if (frozen.isChain() || frozen.isGroup()) {
            frozen.tasks().forEach(t -> collectPending(t, into));
        } else if (frozen.isChord()) {
            frozen.header().tasks().forEach(t -> collectPending(t, into));
            collectPending(frozen.body(), into);
        } else {
            boolean ignored = frozen.options().path("ignore_result").asBoolean(
                    registry.find(frozen.task()).map(TaskDefinition::ignoreResult).orElse(false));
            into.add(new ResultStore.Sent(frozen.id(), frozen.task(), ignored));
        }
    }

    private AsyncResult<Object> handle(Signature frozen) {
        if (frozen.isChain()) {
            AsyncResult<Object> last = null;
            for (Signature step : frozen.tasks()) {
                AsyncResult<Object> next = handle(step);
                last = last == null ? next : next.withParent(last);
            }
            return last;
        }
        return client.result(resultId(frozen));
    }

    /** The id whose result ends a frozen signature: a chain's last task's, a chord's body's, a group's own. */
    static String resultId(Signature frozen) {
        if (frozen.isChain()) {
            List<Signature> steps = frozen.tasks();
            return steps.isEmpty() ? null : resultId(steps.get(steps.size() - 1));
        }
        if (frozen.isChord()) {
            return resultId(frozen.body());
        }
        return frozen.id();
    }

    private static boolean endsInGroup(Signature frozen) {
        if (frozen.isGroup()) {
            return true;
        }
        if (frozen.isChain()) {
            List<Signature> steps = frozen.tasks();
            return !steps.isEmpty() && endsInGroup(steps.get(steps.size() - 1));
        }
        return frozen.isChord() && endsInGroup(frozen.body());
    }

    /** A group's members with nested groups unrolled, as Celery's group freezes them. */
    private static List<Signature> flatGroup(Signature group) {
        List<Signature> members = new ArrayList<>();
        for (Signature member : group.tasks()) {
            if (member.isGroup()) {
                members.addAll(flatGroup(member));
            } else {
                members.add(member);
            }
        }
        return members;
    }

    private static void flatten(Signature chain, List<Signature> into) {
        for (Signature step : chain.tasks()) {
            if (step.isChain()) {
                flatten(step, into);
            } else {
                into.add(step);
            }
        }
    }

    private static Signature replaceTasks(Signature composite, String field, List<Signature> tasks) {
        ObjectNode kwargs = composite.kwargs();
        ArrayNode list = kwargs.putArray(field);
        tasks.forEach(t -> list.add(t.toJson()));
        return composite.withKwargsNode(kwargs);
    }

    private static JsonNode list(JsonNode callbacks) {
        if (callbacks == null || callbacks.isNull() || (callbacks.isArray() && callbacks.isEmpty())) {
            return WireJson.MAPPER.nullNode();
        }
        return callbacks.isArray() ? callbacks : WireJson.MAPPER.createArrayNode().add(callbacks);
    }

    private static String text(ObjectNode options, String field) {
        JsonNode value = options.get(field);
        return value != null && value.isTextual() ? value.textValue() : null;
    }
}
