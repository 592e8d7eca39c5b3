package io.celeriac.security;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;

/**
 * A test-only endpoint on the operator surface that forgot its {@code @RolesAllowed}: the path policy alone must keep
 * it closed ({@link OperatorAccessTest#anOperatorPathWithoutAnAnnotationIsStillClosed}).
 */
@Path("/dashboard/unannotated-probe")
public class UnannotatedOperatorProbe {

    @GET
    public String get() {
        return "let in";
    }
}
