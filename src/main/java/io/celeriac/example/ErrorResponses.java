package io.celeriac.example;

import java.util.Map;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.celeriac.client.TaskSendException;
import io.celeriac.message.TaskArgumentException;

/** Errors as JSON: a client's mistake is a 400 naming the field, a broker outage a 503, never a bare 500. */
public class ErrorResponses {

    @ServerExceptionMapper
    public Response badInput(BadInputException e) {
        return Response.status(400).entity(Map.of("error", e.getMessage(), "field", e.field())).build();
    }

    @ServerExceptionMapper
    public Response badArguments(TaskArgumentException e) {
        return Response.status(400).entity(Map.of("error", e.getMessage())).build();
    }

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ErrorResponses.class);

    @ServerExceptionMapper
    public Response notSent(TaskSendException e) {
        LOG.warnf("answered 503: %s", e.getMessage());
        return Response.status(503).header("Retry-After", "5").entity(Map.of("error", e.getMessage())).build();
    }
}
