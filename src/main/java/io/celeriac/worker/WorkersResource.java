package io.celeriac.worker;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /workers}: the live workers with their concurrency and running tasks. */
@Path("/workers")
@Produces(MediaType.APPLICATION_JSON)
public class WorkersResource {

    private final WorkerRegistry registry;

    public WorkersResource(WorkerRegistry registry) {
        this.registry = registry;
    }

    @GET
    public List<WorkerInfo> list() {
        return registry.live();
    }
}
