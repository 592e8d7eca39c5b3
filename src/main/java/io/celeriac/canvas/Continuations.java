package io.celeriac.canvas;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import org.jboss.logging.Logger;

import io.celeriac.client.TaskNotRoutableException;
import io.celeriac.client.TaskSendUncertainException;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.WireJson;
import io.celeriac.result.ResultStore;
import io.celeriac.result.TaskResult;
import io.celeriac.result.TaskState;

/**
 * What follows a task's outcome when its message carries a canvas, done by the worker once the outcome is stored and
 * before the message is acked, as Celery's worker does it: on success the callbacks and the next task of the chain
 * are sent with the result as first argument, and a chord member is counted; on failure, revocation, expiry or a dead
 * letter, every task after it in the chain ends the same way (so a wait on the chain's last task never hangs), a
 * chord member is counted as failed (so the chord resolves, as ChordError), and the errbacks are sent with the failed
 * task's id. Each step may be done twice (a redelivery after a crash resumes it from the stored outcome): the tasks it
 * sends keep their ids and the chord's count keeps one entry per member, so nothing runs twice for it.
 */
@ApplicationScoped
public class Continuations {

    private static final Logger LOG = Logger.getLogger(Continuations.class);

    private final Canvas canvas;
    private final Chords chords;
    private final ResultStore results;

    public Continuations(Canvas canvas, Chords chords, ResultStore results) {
        this.canvas = canvas;
        this.chords = chords;
        this.results = results;
    }

    /** Whether anything follows this message's outcome. */
    public static boolean any(TaskMessage message) {
        return message.embed() != null;
    }

    public void succeeded(TaskMessage message, JsonNode value) {
        if (!any(message)) {
            return;
        }
        guarded(message, () -> {
            Canvas.Lineage lineage = lineage(message);
            ArrayNode partial = WireJson.MAPPER.createArrayNode().add(value);
            List<JsonNode> callbacks = signatures(message.embed().get("callbacks"));
            for (int i = 0; i < callbacks.size(); i++) {
                send(identified(Signature.fromJson(callbacks.get(i)), message.id(), "link", i), partial, List.of(),
                        lineage);
            }
            List<JsonNode> chain = signatures(message.embed().get("chain"));
            if (!chain.isEmpty()) {
                // Celery's chain travels reversed: the next task is the last element.
                JsonNode next = chain.remove(chain.size() - 1);
                send(identified(Signature.fromJson(next), message.id(), "next", 0), partial, chain, lineage);
            }
            counted(message, TaskState.SUCCESS, value);
        });
    }

    /** The task ended FAILURE or REVOKED, with {@code error} in Celery's form ({@code exc_type, exc_message, ...}). */
    public void failed(TaskMessage message, String state, JsonNode error, String traceback) {
        if (!any(message)) {
            return;
        }
        guarded(message, () -> {
            counted(message, state, error);
            // Nearest first: once the chain's last task is ready, every task before it is too.
            List<JsonNode> chain = signatures(message.embed().get("chain"));
            for (int i = chain.size() - 1; i >= 0; i--) {
                end(Signature.fromJson(chain.get(i)), state, error, traceback);
            }
            errbacks(signatures(message.embed().get("errbacks")), message.id(), lineage(message));
        });
    }

    public void failed(TaskMessage message, Throwable error) {
        failed(message, TaskState.FAILURE, ResultStore.exceptionOf(error), ResultStore.tracebackOf(error));
    }

    public void revoked(TaskMessage message, String reason) {
        failed(message, TaskState.REVOKED, ResultStore.revokedError(reason), null);
    }

    /**
     * A message whose outcome was stored before its worker stopped (a crash between the write and the ack): what
     * follows is done from the stored outcome, as it would have been.
     */
    public void resume(TaskMessage message, TaskResult outcome) {
        if (outcome.successful()) {
            succeeded(message, outcome.result());
        } else {
            failed(message, outcome.status(), outcome.result(), outcome.traceback());
        }
    }

    /** A chord member's outcome is counted; the member that completes the count fires the body, or fails it. */
    private void counted(TaskMessage message, String state, JsonNode result) {
        JsonNode chord = message.embed().get("chord");
        if (chord != null && chord.isObject()) {
            counted(message.group(), message.groupIndex(), message.id(), state, result, Signature.fromJson(chord));
        }
    }

    private void counted(String groupId, Integer index, String taskId, String state, JsonNode result,
            Signature body) {
        if (groupId == null) {
            end(body, TaskState.FAILURE, ResultStore.exceptionOf(new ChordError("chord member " + taskId
                    + " has no group id: its chord cannot be counted")), null);
            return;
        }
        Optional<List<Chords.Part>> parts = chords.returned(groupId, index, taskId, state, result);
        if (parts.isEmpty()) {
            return;
        }
        Optional<Chords.Part> failed = parts.get().stream().filter(Chords.Part::failed).findFirst();
        if (failed.isPresent()) {
            Chords.Part part = failed.get();
            ChordError error = new ChordError("Dependency " + part.taskId() + " raised " + repr(part.result()));
            LOG.infof("chord %s: %s; its body %s[%s] fails", groupId, error.getMessage(), body.task(),
                    Canvas.resultId(body));
            JsonNode failure = ResultStore.exceptionOf(error);
            end(body, TaskState.FAILURE, failure, null);
            // The body failed, not a task before it: its errbacks are called (once, for a chain as body).
            Signature first = first(body);
            errbacks(signatures(first.options().get("link_error")), first.id(), new Canvas.Lineage(first.id(),
                    first.id()));
        } else {
            ArrayNode values = WireJson.MAPPER.createArrayNode();
            parts.get().forEach(p -> values.add(p.result()));
            send(body, WireJson.MAPPER.createArrayNode().add(values), List.of(), null);
        }
        chords.fired(groupId);
    }

    /**
     * A signature that will not run because a task before it failed: it ends the same way, with what follows it (as
     * in Celery, their errbacks are not called: the task that failed called its own); a chord member among them is
     * counted as failed.
     */
    private void end(Signature signature, String state, JsonNode error, String traceback) {
        end(signature, state, error, traceback, true);
    }

    /** As above; {@code counted} is false inside a chord that never started, whose body is ended once, by itself. */
    private void end(Signature signature, String state, JsonNode error, String traceback, boolean counted) {
        if (signature.isChain() || signature.isGroup()) {
            for (Signature step : signature.tasks()) {
                end(step, state, error, traceback, counted);
            }
            return;
        }
        if (signature.isChord()) {
            for (Signature member : signature.header().tasks()) {
                end(member, state, error, traceback, false);
            }
            end(signature.body(), state, error, traceback, counted);
            return;
        }
        String id = signature.id();
        if (id == null) {
            return;
        }
        results.ended(id, signature.task(), state, error, traceback);
        JsonNode options = signature.options();
        JsonNode chord = options.get("chord");
        if (counted && chord != null && chord.isObject()) {
            JsonNode index = options.get("group_index");
            counted(options.path("group_id").asText(null), index != null && index.isInt() ? index.asInt() : null,
                    id, state, error, Signature.fromJson(chord));
        }
        List<JsonNode> chain = signatures(options.get("chain"));
        for (int i = chain.size() - 1; i >= 0; i--) {
            end(Signature.fromJson(chain.get(i)), state, error, traceback);
        }
    }

    /** The task a signature starts with. */
    private static Signature first(Signature signature) {
        if (signature.isChain()) {
            List<Signature> steps = signature.tasks();
            return steps.isEmpty() ? signature : first(steps.get(0));
        }
        return signature.isChord() ? first(signature.body()) : signature;
    }

    /** Celery's old-style errbacks, the only kind a foreign worker can call: sent with the failed task's id. */
    private void errbacks(List<JsonNode> errbacks, String failedId, Canvas.Lineage lineage) {
        ArrayNode partial = WireJson.MAPPER.createArrayNode().add(failedId);
        for (int i = 0; i < errbacks.size(); i++) {
            send(identified(Signature.fromJson(errbacks.get(i)), failedId, "link_error", i), partial, List.of(),
                    lineage);
        }
    }

    /**
     * A follow-up frozen under an id of its own or, when it has none (Celery's {@code link} signatures carry none),
     * under one derived from the task it follows: sent again after a retry or a redelivery, it is the same task, which
     * a worker does not run twice once it is done.
     */
    private Signature identified(Signature followUp, String after, String role, int index) {
        Signature named = followUp.isChain() || followUp.isGroup() || followUp.isChord() || followUp.id() != null
                ? followUp
                : followUp.withId(UUID.nameUUIDFromBytes((after + "/" + role + "/" + index)
                        .getBytes(StandardCharsets.UTF_8)).toString());
        return canvas.freeze(named);
    }

    /**
     * Sends a follow-up. One the broker did not confirm in time counts as sent: it very likely was, and sending it
     * again (the step is retried on any error) could run it twice.
     */
    private void send(Signature signature, ArrayNode partial, List<JsonNode> rest, Canvas.Lineage lineage) {
        try {
            canvas.send(signature, partial, rest, lineage);
        } catch (TaskSendUncertainException e) {
            LOG.warnf("a follow-up may not have been sent (the broker did not confirm it): %s", e.getMessage());
        }
    }

    /**
     * Runs a step; a canvas that cannot be read ends every task it names as FAILURE, with the reason, rather than
     * leaving them PENDING for ever.
     */
    private void guarded(TaskMessage message, Runnable step) {
        try {
            step.run();
        } catch (IllegalArgumentException | TaskNotRoutableException unreadable) {
            // Malformed, too large or routed where this connector cannot send: another try would fail the same way.
            LOG.errorf("task %s[%s]: what follows it cannot be sent: %s", message.task(), message.id(),
                    unreadable.getMessage());
            JsonNode error = ResultStore.exceptionOf(new IllegalArgumentException("the workflow after task "
                    + message.id() + " cannot be sent: " + unreadable.getMessage()));
            for (String id : message.canvasTaskIds()) {
                results.ended(id, null, TaskState.FAILURE, error, null);
            }
        }
    }

    private static Canvas.Lineage lineage(TaskMessage message) {
        return new Canvas.Lineage(message.rootId() != null ? message.rootId() : message.id(), message.id());
    }

    private static List<JsonNode> signatures(JsonNode list) {
        List<JsonNode> out = new ArrayList<>();
        if (list == null || list.isNull()) {
            return out;
        }
        if (list.isObject()) {
            out.add(list);
        } else {
            list.forEach(out::add);
        }
        return out;
    }

    /** As Python prints the exception: {@code ValueError('boom')}. */
    private static String repr(JsonNode error) {
        if (error == null || !error.isObject()) {
            return String.valueOf(error);
        }
        JsonNode message = error.path("exc_message");
        String text = message.isArray() && message.size() == 1 ? message.get(0).asText() : message.toString();
        return error.path("exc_type").asText("Exception") + "('" + text.replace("'", "\\'") + "')";
    }
}
