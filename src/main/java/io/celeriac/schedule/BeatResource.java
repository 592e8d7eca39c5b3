package io.celeriac.schedule;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import io.celeriac.security.OperatorRoles;

/** {@code GET /beat}: the periodic entries, their last and next runs, and which instance leads. */
@Path("/beat")
@Produces(MediaType.APPLICATION_JSON)
public class BeatResource {

    private final BeatSchedule schedule;
    private final Beat beat;
    private final LeaderLease lease;

    public BeatResource(BeatSchedule schedule, Beat beat, LeaderLease lease) {
        this.schedule = schedule;
        this.beat = beat;
        this.lease = lease;
    }

    @GET
    @RolesAllowed({OperatorRoles.VIEWER, OperatorRoles.ADMIN})
    public Map<String, Object> list() {
        Instant now = Instant.now();
        List<Map<String, Object>> entries = new ArrayList<>();
        for (BeatEntry entry : schedule.entries()) {
            Map<String, String> state = beat.state(entry);
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("name", entry.name());
            view.put("task", entry.task());
            view.put("args", entry.args());
            view.put("kwargs", entry.kwargs());
            view.put("schedule", entry.schedule().describe());
            view.put("missed", entry.missed().name().toLowerCase().replace('_', '-'));
            view.put("skip_if_running", entry.skipIfRunning());
            String last = state.get("last_tick");
            Instant from = last == null ? now : Instant.ofEpochMilli(Long.parseLong(last));
            String sent = state.get("last_sent_tick");
            view.put("last_run", sent == null ? null : Instant.ofEpochMilli(Long.parseLong(sent)).toString());
            view.put("last_task_id", state.get("last_task_id"));
            view.put("next_run", entry.schedule().next(from.isAfter(now) ? from : now).toString());
            entries.add(view);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("leader", lease.holder().orElse(null));
        body.put("entries", entries);
        return body;
    }
}
