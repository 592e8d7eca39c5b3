package io.celeriac.worker;

import java.util.List;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.celeriac.security.OperatorRoles;

/** {@code GET /workers}: the live workers with their concurrency and running tasks. */
@Path("/workers")
@Produces(MediaType.APPLICATION_JSON)
public class WorkersResource {

    private final WorkerRegistry registry;

    public WorkersResource(WorkerRegistry registry) {
        this.registry = registry;
    }

    @GET
    @RolesAllowed({OperatorRoles.VIEWER, OperatorRoles.ADMIN})
    public List<WorkerInfo> list() {
        return registry.live();
    }
}
