package io.celeriac.example;

import java.util.Map;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.RestForm;

import io.celeriac.client.AsyncResult;
import io.celeriac.client.TaskClient;

/** The Flask example's views: start a task, answer its id at once, and report its result by id. */
@Path("/tasks")
@Produces(MediaType.APPLICATION_JSON)
public class TaskResource {

    /** One task per second of progress; a day of it is surely a typo. */
    static final long MAX_TOTAL = 86_400;

    private final TaskClient tasks;

    public TaskResource(TaskClient tasks) {
        this.tasks = tasks;
    }

    // Form-encoded only: a multipart body would be parsed before the method runs, and a broken one failed with a 500.
    @POST
    @Path("/add")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Map<String, String> add(@RestForm String a, @RestForm String b) {
        long x = BadInputException.requireLong("a", a, Integer.MIN_VALUE, Integer.MAX_VALUE);
        long y = BadInputException.requireLong("b", b, Integer.MIN_VALUE, Integer.MAX_VALUE);
        return started(tasks.delay("add", (int) x, (int) y));
    }

    @POST
    @Path("/block")
    public Map<String, String> block() {
        return started(tasks.delay("block"));
    }

    @POST
    @Path("/process")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Map<String, String> process(@RestForm String total) {
        long n = BadInputException.requireLong("total", total, 1, MAX_TOTAL);
        return started(tasks.delay("process", (int) n));
    }

    /**
     * The guide's {@code {ready, successful, value}}, plus the state. While a task runs, value is its progress meta.
     */
    @GET
    @Path("/result/{id}")
    public Response result(@PathParam("id") String id) {
        return tasks.result(id).snapshot().map(r -> Response.ok(r.view()).build())
                .orElseGet(() -> Response.status(404).entity(Map.of("error", "no task with id '" + id
                        + "': it was never sent, its record expired, or its result was ignored and it has finished"))
                        .build());
    }

    static Map<String, String> started(AsyncResult<?> sent) {
        return Map.of("result_id", sent.id());
    }
}
