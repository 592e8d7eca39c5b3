package io.celeriac.example;

import java.util.List;
import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.celeriac.client.TaskClient;

@Path("/users")
@Produces(MediaType.APPLICATION_JSON)
public class UserResource {

    private final TaskClient tasks;

    public UserResource(TaskClient tasks) {
        this.tasks = tasks;
    }

    public record UserView(long id, String name, String email) {
    }

    @GET
    public List<UserView> list() {
        return User.<User> listAll().stream().map(u -> new UserView(u.id, u.name, u.email)).toList();
    }

    /** Sends the user's id, not the user: the worker loads it in its own transaction. */
    @POST
    @Path("/{id}/archive")
    public Map<String, String> archive(@PathParam("id") String id) {
        long userId = BadInputException.requireLong("id", id, 1, Long.MAX_VALUE);
        return TaskResource.started(tasks.delay("generate_user_archive", userId));
    }
}
