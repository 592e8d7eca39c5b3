package io.celeriac.redis;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Which kind of Redis the app talks to, as {@code quarkus.redis.client-type} says: where key names must differ. */
@Singleton
public class RedisTopology {

    private final boolean clustered;

    public RedisTopology(@ConfigProperty(name = "quarkus.redis.client-type", defaultValue = "standalone") String type) {
        this.clustered = "cluster".equalsIgnoreCase(type.trim());
    }

    /** Redis Cluster: a script's keys must share a slot, so keys Celery names apart get a common tag. */
    public boolean clustered() {
        return clustered;
    }
}
