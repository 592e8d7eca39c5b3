package io.celeriac.example;

import java.util.Map;

import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestForm;

import io.celeriac.client.TaskClient;

/**
 * The hook scripts/cluster-chaos sends its probes through, so they go out through the api processes' senders (which
 * must fail over between broker nodes) as a resource of an application sends its tasks. Tools build only.
 */
@Path("/chaos")
@Produces(MediaType.APPLICATION_JSON)
public class ChaosResource {

    private final TaskClient tasks;

    public ChaosResource(TaskClient tasks) {
        this.tasks = tasks;
    }

    @POST
    @Path("/probe")
    public Map<String, Object> probe(@RestForm String run, @RestForm String seq, @RestForm String millis) {
        if (run == null || !run.matches("[a-z0-9]{1,16}")) {
            throw new BadInputException("run", "'run' must be 1 to 16 lower-case letters or digits");
        }
        int n = (int) BadInputException.requireLong("seq", seq, 0, Integer.MAX_VALUE);
        long work = BadInputException.requireLong("millis", millis, 0, 3_600_000);
        return Map.of("result_id", tasks.delay("chaos_probe", run, n, work).id());
    }
}
