package io.celeriac.client;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.celeriac.message.TaskArgumentException;
import io.celeriac.message.TaskTooLargeException;

/**
 * How a failed send reaches an HTTP client of any resource that sends tasks (the machinery's own, such as a dead
 * letter's requeue, and the application's): arguments that cannot travel are the caller's mistake (400; 413 when
 * they are too large); a task not
 * sent is an outage to retry (503 with {@code Retry-After}); a send whose confirm did not come is accepted with its
 * id (202), since the task may run and sending it again would run it twice. Never a bare 500.
 */
public class SendErrorMapping {

    private static final Logger LOG = Logger.getLogger(SendErrorMapping.class);

    @ServerExceptionMapper
    public Response tooLarge(TaskTooLargeException e) {
        return Response.status(413).entity(Map.of("error", e.getMessage())).build();
    }

    @ServerExceptionMapper
    public Response badArguments(TaskArgumentException e) {
        return Response.status(400).entity(Map.of("error", e.getMessage())).build();
    }

    @ServerExceptionMapper
    public Response notSent(TaskNotSentException e) {
        LOG.warnf("answered 503: %s", e.getMessage());
        return Response.status(503).header("Retry-After", "5").entity(Map.of("error", e.getMessage())).build();
    }

    @ServerExceptionMapper
    public Response maybeSent(TaskSendUncertainException e) {
        LOG.warnf("answered 202 for a send that was not confirmed: %s", e.getMessage());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("result_id", e.taskId());
        body.put("confirmed", false);
        body.put("warning", e.getMessage() + ". Follow the id; do not send the task again under a new one.");
        return Response.accepted(body).build();
    }
}
