package io.celeriac.role;

import java.util.Map;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.celeriac.config.CeleriacConfig;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * The roles of this instance. Without the api role, the application's HTTP endpoints and pages answer 404; only
 * Quarkus's own endpoints under {@code /q/} (health, metrics) stay, so a worker can be probed but not used as an API.
 */
@Singleton
public class Roles {

    private final CeleriacConfig config;

    public Roles(CeleriacConfig config) {
        this.config = config;
    }

    public boolean has(Role role) {
        return config.roles().contains(role);
    }

    void guardApi(@Observes Router router) {
        if (has(Role.API)) {
            return;
        }
        String body = new JsonObject(Map.of("error", "this instance does not serve the API (celeriac.roles="
                + config.roles().toString().toLowerCase() + ")")).encode();
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            if (ctx.normalizedPath().startsWith("/q/")) {
                ctx.next();
            } else {
                ctx.response().setStatusCode(404).putHeader("content-type", "application/json").end(body);
            }
        });
    }
}
