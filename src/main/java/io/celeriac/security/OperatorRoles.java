package io.celeriac.security;

/**
 * The roles of Celeriac's operator surface. {@code celeriac-admin} may change what the queue does (revoke a task,
 * requeue or delete a dead letter); {@code celeriac-viewer} is meant for reading it. Users come from Quarkus security:
 * {@code quarkus.security.users.embedded.*} (dev mode has admin/admin and viewer/viewer), or OIDC/JWT by configuration.
 */
public final class OperatorRoles {

    public static final String ADMIN = "celeriac-admin";
    public static final String VIEWER = "celeriac-viewer";

    private OperatorRoles() {
    }
}
