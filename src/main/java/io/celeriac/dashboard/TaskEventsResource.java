package io.celeriac.dashboard;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.celeriac.result.ResultStore;
import io.celeriac.security.OperatorRoles;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/**
 * Server-Sent Events, so pages need not poll: one task's state until it is ready, or every task's state changes.
 * Any API instance serves them: the single-task stream reads the result store, the all-tasks stream listens to the
 * changes the store publishes in Redis, through the instance's one shared subscription.
 */
@Path("/tasks")
public class TaskEventsResource {

    private final ResultStore results;
    private final TaskEvents events;
    private final ObjectMapper mapper;

    public TaskEventsResource(ResultStore results, TaskEvents events, ObjectMapper mapper) {
        this.results = results;
        this.events = events;
        this.mapper = mapper;
    }

    /** The task's view (as {@code GET /tasks/result/{id}}) each time it changes; the stream ends once it is ready. */
    @GET
    @Path("/result/{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    public Multi<String> task(@PathParam("id") String id) {
        if (results.get(id).isEmpty()) {
            throw new WebApplicationException(Response.status(404).type(MediaType.APPLICATION_JSON)
                    .entity(Map.of("error", "no task with id '" + id + "'")).build());
        }
        AtomicReference<String> last = new AtomicReference<>();
        return Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1)).every(Duration.ofMillis(200))
                // Reading the store blocks: never on the event loop.
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .onOverflow().drop()
                .onItem().transform(tick -> results.get(id))
                .select().first(r -> !ended(last.get()))
                // The record can vanish mid-stream: an ignored result is dropped once its task has run.
                .onItem().transform(r -> r.map(found -> encode(found.view()))
                        .orElseGet(() -> withoutRecord(id, last.get())))
                .select().where(json -> !json.equals(last.getAndSet(json)));
    }

    /** Every state change of every task, as a small event: {@code task_id, name, status, date_done}. */
    @GET
    @Path("/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed({OperatorRoles.VIEWER, OperatorRoles.ADMIN})
    public Multi<String> all() {
        try {
            return events.subscribe();
        } catch (TaskEvents.TooManySubscribers e) {
            throw new WebApplicationException(Response.status(503).type(MediaType.APPLICATION_JSON)
                    .header("Retry-After", "30").entity(Map.of("error", e.getMessage())).build());
        }
    }

    private boolean ended(String lastSent) {
        return lastSent != null && (lastSent.startsWith("{\"ready\":true") || lastSent.contains("\"finished\":true"));
    }

    /**
     * The record is gone: an ignored result's marker is dropped once its task has run, but a kept result's record
     * only goes when it expires or is removed, and must not be reported as "ran, result not kept".
     */
    private String withoutRecord(String id, String lastSent) {
        if (lastSent == null || lastSent.contains("\"state\":\"IGNORED\"")) {
            return encode(Map.of("ready", false, "state", "IGNORED", "finished", true, "message",
                    "task '" + id + "' has run; its result was not kept"));
        }
        return encode(Map.of("ready", false, "state", "UNKNOWN", "finished", true, "message",
                "the record of task '" + id + "' is gone (it expired or was removed) before it was ready"));
    }

    private String encode(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
