package io.celeriac.example;

import java.util.Map;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The example's own input errors: a 400 naming the field (send failures are mapped by the machinery). */
public class ErrorResponses {

    @ServerExceptionMapper
    public Response badInput(BadInputException e) {
        return Response.status(400).entity(Map.of("error", e.getMessage(), "field", e.field())).build();
    }

    @ServerExceptionMapper
    public Response conflict(ConflictException e) {
        return Response.status(409).entity(Map.of("error", e.getMessage(), "field", e.field())).build();
    }
}
