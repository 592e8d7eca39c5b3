package io.celeriac.control;

import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.celeriac.result.ResultStore;
import io.celeriac.security.OperatorRoles;
import io.celeriac.result.TaskResult;

/**
 * {@code POST /tasks/{id}/revoke}: a revoked task does not start; a running one is interrupted. Operators with
 * {@link OperatorRoles#ADMIN} only: anyone else holding an id could stop someone's task.
 */
@Path("/tasks/{id}/revoke")
@Produces(MediaType.APPLICATION_JSON)
public class TaskControlResource {

    private final Revocations revocations;
    private final ResultStore results;

    public TaskControlResource(Revocations revocations, ResultStore results) {
        this.revocations = revocations;
        this.results = results;
    }

    @POST
    @RolesAllowed(OperatorRoles.ADMIN)
    public Response revoke(@PathParam("id") String id) {
        TaskResult current = results.get(id).orElse(null);
        if (current == null) {
            return Response.status(404).entity(Map.of("error", "no task with id '" + id + "'")).build();
        }
        if (current.ready()) {
            return Response.status(409).entity(Map.of("error", "task '" + id + "' has already finished as "
                    + current.status(), "state", current.status())).build();
        }
        revocations.revoke(id, current.name(), "revoked");
        return Response.ok(Map.of("task_id", id, "state", results.get(id).map(TaskResult::status).orElse("REVOKED")))
                .build();
    }
}
