package io.celeriac.deadletter;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.celeriac.client.TaskClient;
import io.celeriac.client.TaskSendUncertainException;
import io.celeriac.message.MalformedMessageException;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.celeriac.result.ResultStore;
import io.celeriac.security.OperatorRoles;
import io.quarkus.security.identity.SecurityIdentity;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TaskRegistry;

/** Dead letters: list them, read one, requeue it (as a fresh call under the same id), or drop it. */
@Path("/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
public class DeadLettersResource {

    private final DeadLetters deadLetters;
    private final TaskMessageCodec codec;
    private final TaskClient client;
    private final TaskRegistry registry;
    private final ResultStore results;
    private final SecurityIdentity identity;

    public DeadLettersResource(DeadLetters deadLetters, TaskMessageCodec codec, TaskClient client,
            TaskRegistry registry, ResultStore results, SecurityIdentity identity) {
        this.identity = identity;
        this.deadLetters = deadLetters;
        this.codec = codec;
        this.client = client;
        this.registry = registry;
        this.results = results;
    }

    @GET
    @RolesAllowed({OperatorRoles.VIEWER, OperatorRoles.ADMIN})
    public Response list(@QueryParam("limit") @DefaultValue("100") String limit) {
        int n;
        try {
            n = Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > 10_000) {
            return Response.status(400).entity(Map.of("error", "'limit' must be a whole number from 1 to 10000",
                    "field", "limit")).build();
        }
        // Without the messages: their arguments are the tasks' data, shown for one letter to an admin only.
        List<Map<String, Object>> letters = deadLetters.list(n).stream().map(DeadLettersResource::redacted).toList();
        return Response.ok(Map.of("count", deadLetters.count(), "dead_letters", letters)).build();
    }

    /** One letter; its message (with the task's arguments) only for a signed-in {@code celeriac-admin}. */
    @GET
    @Path("/{id}")
    @RolesAllowed({OperatorRoles.VIEWER, OperatorRoles.ADMIN})
    public Response get(@PathParam("id") String id) {
        return deadLetters.get(id).map(l -> Response.ok(identity.hasRole(OperatorRoles.ADMIN) ? l : redacted(l))
                .build()).orElseGet(() -> notFound(id));
    }

    private static Map<String, Object> redacted(DeadLetter letter) {
        Map<String, Object> view = new java.util.LinkedHashMap<>();
        view.put("id", letter.id());
        view.put("task_id", letter.taskId());
        view.put("task", letter.task());
        view.put("reason", letter.reason());
        view.put("dead_at", letter.deadAt());
        view.put("body_redacted", "the message holds the task's arguments: shown for one letter to "
                + OperatorRoles.ADMIN);
        return view;
    }

    /**
     * Sends a dead letter again as a fresh call under its task's id. The letter is taken out first, so two requeues
     * at once (a double click, two operators) send it once; if the send fails, it is put back.
     */
    @POST
    @Path("/{id}/requeue")
    @RolesAllowed(OperatorRoles.ADMIN)
    public Response requeue(@PathParam("id") String id) {
        DeadLetter peek = deadLetters.get(id).orElse(null);
        if (peek == null) {
            return notFound(id);
        }
        TaskMessage message;
        try {
            message = codec.restore(peek.body()).fresh();
        } catch (MalformedMessageException e) {
            return Response.status(409).entity(Map.of("error", "a malformed message cannot be requeued: "
                    + e.getMessage())).build();
        }
        Optional<TaskDefinition> definition = registry.find(message.task());
        if (definition.isEmpty()) {
            return Response.status(409).entity(Map.of("error", "task '" + message.task()
                    + "' is unknown to this application")).build();
        }
        DeadLetter letter = deadLetters.take(id).orElse(null);
        if (letter == null) {
            return notFound(id);
        }
        try {
            // A fresh record: the failure that dead-lettered it is over, and ready states are otherwise final.
            results.forgetAnyway(message.id());
            // The rest of its chain ended FAILURE because it did, and never ran: sent again, the chain goes on.
            for (String after : message.chainTaskIds()) {
                results.sent(after, null, false);
            }
            results.sent(message.id(), message.task(), message.ignoreResult() != null ? message.ignoreResult()
                    : definition.get().ignoreResult());
            client.enqueue(message);
        } catch (TaskSendUncertainException e) {
            // It may be queued: putting the letter back would invite a second requeue of a task that may run.
            return Response.accepted(Map.of("result_id", message.id(), "confirmed", false, "warning",
                    e.getMessage())).build();
        } catch (RuntimeException e) {
            deadLetters.add(letter);
            throw e;
        }
        return Response.ok(Map.of("result_id", message.id())).build();
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed(OperatorRoles.ADMIN)
    public Response delete(@PathParam("id") String id) {
        return deadLetters.remove(id) ? Response.noContent().build() : notFound(id);
    }

    private static Response notFound(String id) {
        return Response.status(404).entity(Map.of("error", "no dead letter with id '" + id + "'")).build();
    }
}
