package io.celeriac.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.client.SendOptions;
import io.celeriac.client.TaskClient;
import io.celeriac.message.TaskIds;
import io.celeriac.result.ResultStore;
import io.celeriac.result.TaskResult;
import io.celeriac.result.TaskState;
import io.celeriac.security.OperatorRoles;
import io.quarkus.security.identity.SecurityIdentity;

/**
 * One task as an operator looks into it: {@code GET /dashboard/tasks/{id}} answers its state, result or traceback,
 * retries, worker, trace id and timeline (sent, started, progress, retries, finished), with its arguments for admins
 * only; {@code POST /dashboard/tasks/{id}/retry} sends a finished task again, with the arguments its worker got, to
 * the queue it ran from, under a new id.
 */
@Path("/dashboard/tasks/{id}")
@Produces(MediaType.APPLICATION_JSON)
public class TaskViewResource {

    private final ResultStore results;
    private final TaskClient client;
    private final SecurityIdentity identity;
    private final ObjectMapper mapper;

    public TaskViewResource(ResultStore results, TaskClient client, SecurityIdentity identity, ObjectMapper mapper) {
        this.results = results;
        this.client = client;
        this.identity = identity;
        this.mapper = mapper;
    }

    @GET
    @RolesAllowed({ OperatorRoles.VIEWER, OperatorRoles.ADMIN })
    public Response view(@PathParam("id") String id) {
        Response invalid = invalid(id);
        if (invalid != null) {
            return invalid;
        }
        TaskResult record = results.get(id).orElse(null);
        List<JsonNode> timeline = results.timeline(id);
        if (record == null && timeline.isEmpty()) {
            return notFound(id);
        }
        boolean admin = identity.hasRole(OperatorRoles.ADMIN);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", id);
        view.put("name", record != null ? record.name() : null);
        view.put("state", record != null ? record.status() : timeline.get(timeline.size() - 1).path("state")
                .asText());
        view.put("ready", record != null && record.ready());
        view.put("successful", record != null && record.ready() ? record.successful() : null);
        boolean failed = record != null && TaskState.FAILURE.equals(record.status());
        view.put("result", record != null && !failed ? record.result() : null);
        view.put("error", failed ? record.result() : null);
        view.put("traceback", record != null ? record.traceback() : null);
        view.put("date_started", record != null ? record.dateStarted() : null);
        view.put("date_done", record != null ? record.dateDone() : null);
        view.put("retries", timeline.stream().filter(e -> e.path("retries").canConvertToInt())
                .mapToInt(e -> e.get("retries").asInt()).max().orElse(0));
        view.put("worker", latest(timeline, "worker").map(e -> e.get("worker").asText()).orElse(null));
        view.put("trace_id", latest(timeline, "trace_id").map(e -> e.get("trace_id").asText()).orElse(null));
        JsonNode call = latest(timeline, "args").orElse(null);
        view.put("call_kept", call != null);
        if (admin && call != null) {
            view.put("args", call.get("args"));
            view.put("kwargs", call.get("kwargs"));
        }
        List<JsonNode> shown = new ArrayList<>(timeline.size());
        for (JsonNode entry : timeline) {
            // The arguments are the call's, shown once above and to admins only.
            JsonNode copy = entry.deepCopy();
            if (copy instanceof ObjectNode object) {
                object.remove(List.of("args", "kwargs"));
            }
            shown.add(copy);
        }
        view.put("timeline", shown);
        view.put("admin", admin);
        return Response.ok(view).build();
    }

    @POST
    @Path("/retry")
    @RolesAllowed(OperatorRoles.ADMIN)
    public Response retry(@PathParam("id") String id) {
        Response invalid = invalid(id);
        if (invalid != null) {
            return invalid;
        }
        TaskResult record = results.get(id).orElse(null);
        if (record == null) {
            return notFound(id);
        }
        if (!record.ready()) {
            return Response.status(409).entity(Map.of("error", "task '" + id + "' is " + record.status()
                    + ": only a finished task is sent again (revoke it first)", "state", record.status())).build();
        }
        JsonNode call = latest(results.timeline(id), "args").orElse(null);
        if (call == null || record.name() == null) {
            return Response.status(409).entity(Map.of("error", "the arguments of task '" + id + "' were not kept "
                    + "(it never started on a Celeriac worker, its worker runs with "
                    + "celeriac.worker.track-started=false, or they were larger than "
                    + ResultStore.KEPT_CALL_SIZE + " bytes of JSON), so it cannot be sent again from here")).build();
        }
        List<Object> args = mapper.convertValue(call.path("args"), new TypeReference<List<Object>>() {
        });
        Map<String, Object> kwargs = call.path("kwargs").isObject()
                ? mapper.convertValue(call.get("kwargs"), new TypeReference<Map<String, Object>>() {
                })
                : Map.of();
        // To the queue it ran from; its other options (priority, limits, links) are not kept, so not repeated.
        SendOptions options = call.path("queue").isTextual() ? SendOptions.none().queue(call.get("queue").asText())
                : SendOptions.none();
        String sent = client.sendTask(record.name(), args == null ? List.of() : args, kwargs, options).id();
        return Response.ok(Map.of("result_id", sent, "retry_of", id)).build();
    }

    private static Response invalid(String id) {
        String problem = TaskIds.problem(id);
        return problem == null ? null
                : Response.status(400).entity(Map.of("error", "id: " + problem, "field", "id")).build();
    }

    private static Response notFound(String id) {
        return Response.status(404).entity(Map.of("error", "no task with id '" + id + "' (never sent, or its "
                + "record expired)")).build();
    }

    /**
     * The latest entry that has {@code field}: its worker, its trace, or (for {@code args}) the call as the latest
     * worker got it.
     */
    private static Optional<JsonNode> latest(List<JsonNode> timeline, String field) {
        for (int i = timeline.size() - 1; i >= 0; i--) {
            if (timeline.get(i).hasNonNull(field)) {
                return Optional.of(timeline.get(i));
            }
        }
        return Optional.empty();
    }
}
