package io.celeriac.security;

import java.util.Map;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;

/**
 * Why an operator request was refused, in the body as every other error of the API: not signed in (401, with the
 * Basic challenge), signed in without the role (403), or no operator users configured at all, which production
 * starts with (401 saying so: the operator surface is off, and tasks still run).
 */
public class AccessErrorMapping {

    @ServerExceptionMapper
    public Response unauthorized(UnauthorizedException e, HttpHeaders headers) {
        return challenge(headers, "sign in as an operator (role " + OperatorRoles.ADMIN + " or " + OperatorRoles.VIEWER
                + ")");
    }

    /** Credentials that do not sign anyone in (authentication is lazy, so this reaches the REST layer). */
    @ServerExceptionMapper
    public Response failed(AuthenticationFailedException e, HttpHeaders headers) {
        return challenge(headers, "sign in failed: unknown user or wrong password");
    }

    /**
     * The page signs in with a form of its own and says so with {@code X-Requested-With}: to such a request the
     * refusal comes without the Basic challenge, which would make the browser pop up its own password dialog.
     */
    private static Response challenge(HttpHeaders headers, String why) {
        String error = usersConfigured() ? why
                : "the operator surface is off: no operator users are configured (quarkus.security.users.embedded.*"
                        + " or OIDC; see the README's Security section)";
        // JSON whatever the endpoint produces: a refusal is the mapper's answer, not the endpoint's.
        Response.ResponseBuilder refusal = Response.status(401).type(jakarta.ws.rs.core.MediaType.APPLICATION_JSON)
                .entity(Map.of("error", error));
        if (headers.getHeaderString("X-Requested-With") == null) {
            refusal.header("WWW-Authenticate", "Basic realm=\"Celeriac\"");
        }
        return refusal.build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, ResourceInfo resource) {
        RolesAllowed allowed = resource.getResourceMethod() == null ? null
                : resource.getResourceMethod().getAnnotation(RolesAllowed.class);
        // Without an annotation it was the operator paths' policy that refused: it lets in either role.
        String roles = allowed == null ? OperatorRoles.VIEWER + " or " + OperatorRoles.ADMIN
                : String.join(" or ", allowed.value());
        return Response.status(403).type(jakarta.ws.rs.core.MediaType.APPLICATION_JSON)
                .entity(Map.of("error", "this needs the role " + roles)).build();
    }

    /** Any operator user in the embedded realm, or an OIDC server to sign in with. */
    private static boolean usersConfigured() {
        var config = ConfigProvider.getConfig();
        for (String name : config.getPropertyNames()) {
            if (name.startsWith("quarkus.security.users.embedded.users.")
                    && !config.getOptionalValue(name, String.class).orElse("").isBlank()) {
                return true;
            }
        }
        return config.getOptionalValue("quarkus.oidc.auth-server-url", String.class).isPresent();
    }
}
