package io.celeriac.example;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.persistence.PersistenceException;
import jakarta.transaction.Transactional;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.resteasy.reactive.RestForm;

import io.celeriac.canvas.Canvas;
import io.celeriac.canvas.Signature;
import io.celeriac.client.AsyncResult;
import io.celeriac.client.TaskClient;

@Path("/users")
@Produces(MediaType.APPLICATION_JSON)
public class UserResource {

    private final TaskClient tasks;
    private final Canvas canvas;

    public UserResource(TaskClient tasks, Canvas canvas) {
        this.tasks = tasks;
        this.canvas = canvas;
    }

    public record UserView(long id, String name, String email) {
    }

    @GET
    public List<UserView> list() {
        return User.<User> listAll().stream().map(u -> new UserView(u.id, u.name, u.email)).toList();
    }

    /**
     * Creates a user and, in the same transaction, sends its archive: the task is published once the user is
     * committed (the outbox), so the worker always finds it, and a request that fails (a taken email) sends nothing.
     */
    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Transactional
    public Map<String, Object> create(@RestForm String name, @RestForm String email) {
        User user = new User();
        user.name = BadInputException.requireText("name", name, 100);
        user.email = requireEmail(email);
        if (User.count("email", user.email) > 0) {
            throw new ConflictException("email", "a user with email '" + user.email + "' exists");
        }
        try {
            user.persistAndFlush();
        } catch (PersistenceException e) {
            if (!(e instanceof org.hibernate.exception.ConstraintViolationException)
                    && !(e.getCause() instanceof org.hibernate.exception.ConstraintViolationException)) {
                throw e;
            }
            // Another request took the email between the check and the insert.
            throw new ConflictException("email", "a user with email '" + user.email + "' exists");
        }
        AsyncResult<Object> archive = tasks.delay("generate_user_archive", user.id);
        return Map.of("user_id", user.id, "result_id", archive.id());
    }

    private static String requireEmail(String raw) {
        String email = BadInputException.requireText("email", raw, 254);
        int at = email.indexOf('@');
        if (at < 1 || at != email.lastIndexOf('@') || at == email.length() - 1 || email.chars().anyMatch(
                Character::isWhitespace)) {
            throw new BadInputException("email", "'email' must be an address such as ada@example.org, got '" + email
                    + "'");
        }
        return email.toLowerCase(java.util.Locale.ROOT);
    }

    /** Sends the user's id, not the user: the worker loads it in its own transaction. */
    @POST
    @Path("/{id}/archive")
    public Map<String, String> archive(@PathParam("id") String id) {
        long userId = BadInputException.requireLong("id", id, 1, Long.MAX_VALUE);
        return TaskResource.started(tasks.delay("generate_user_archive", userId));
    }

    /**
     * A multi-stage flow: one archive per user, in parallel, then one bundle of them all (a chord). Answers the
     * bundle's id, which {@code /tasks/result/{id}} reports as any task's, and the group's, whose progress
     * {@code /groups/{id}} reports.
     */
    @POST
    @Path("/archive-all")
    public Map<String, String> archiveAll() {
        List<Signature> archives = User.<User> listAll().stream()
                .map(user -> Signature.of("generate_user_archive", user.id)).toList();
        String groupId = UUID.randomUUID().toString();
        AsyncResult<Object> bundle = canvas.apply(Signature.chord(Signature.group(archives).withId(groupId),
                Signature.of("bundle_user_archives")));
        return Map.of("result_id", bundle.id(), "group_id", groupId);
    }
}
