package io.celeriac.example;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import io.celeriac.client.GroupResult;
import io.celeriac.client.TaskClient;
import io.celeriac.result.GroupProgress;
import io.celeriac.result.TaskResult;

/** A group's progress, for a workflow's page: its size, how many members are done, and their results in order. */
@Path("/groups")
@Produces(MediaType.APPLICATION_JSON)
public class GroupResource {

    private final TaskClient tasks;

    public GroupResource(TaskClient tasks) {
        this.tasks = tasks;
    }

    @GET
    @Path("/{id}")
    public Response group(@PathParam("id") String id) {
        return tasks.group(id).map(group -> Response.ok(view(group)).build())
                .orElseGet(() -> Response.status(404).entity(Map.of("error", "no group with id '" + id
                        + "': it was never sent, or its record expired")).build());
    }

    private static Map<String, Object> view(GroupResult group) {
        List<Optional<TaskResult>> members = group.snapshots();
        GroupProgress progress = GroupProgress.of(members);
        List<Object> results = new ArrayList<>();
        for (Optional<TaskResult> member : members) {
            results.add(member.filter(TaskResult::ready).map(TaskResult::result).orElse(null));
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", group.id());
        view.put("size", group.size());
        view.put("completed", progress.succeeded());
        view.put("failed", progress.failed());
        view.put("ready", progress.ready());
        view.put("results", results);
        return view;
    }
}
