package io.celeriac.role;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * Turns the task consumer off on instances without the worker role, before any channel is wired: an api-only
 * instance must not even subscribe, or it would hold prefetched tasks it never runs.
 */
public class RoleChannels implements ConfigSourceFactory {

    static final String CONSUMER_ENABLED = "mp.messaging.incoming.celeriac-receive.enabled";
    /** Above application.properties (250), below system properties and environment variables. */
    static final int ORDINAL = 275;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue roles = context.getValue("celeriac.roles");
        if (roles == null || roles.getValue() == null || hasWorker(roles.getValue())) {
            return List.of();
        }
        return List.of(new PropertiesConfigSource(Map.of(CONSUMER_ENABLED, "false"), "celeriac-roles", ORDINAL));
    }

    static boolean hasWorker(String roles) {
        return Arrays.stream(roles.split(",")).map(String::trim).anyMatch(r -> r.equalsIgnoreCase("worker"));
    }
}
