package io.celeriac.redis;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Which kind of Redis the app talks to, as {@code quarkus.redis.client-type} says, and so how keys that scripts use
 * together are named. On one Redis (standalone or Sentinel) they keep the names Celery and earlier releases gave them:
 * a Python client shares Celery's, and an instance of an earlier release, running beside this one during an upgrade,
 * finds its own. On Redis Cluster a script's keys must share a hash slot, so they get a common tag there instead
 * (Celery has no Redis Cluster support, and earlier releases did not run on one, so nothing else reads them).
 */
@Singleton
public class RedisTopology {

    private final boolean clustered;

    public RedisTopology(@ConfigProperty(name = "quarkus.redis.client-type", defaultValue = "standalone") String type) {
        this.clustered = "cluster".equalsIgnoreCase(type.trim());
    }

    /** Redis Cluster: a script's keys must share a slot, and a multi-key read is split by slot. */
    public boolean clustered() {
        return clustered;
    }

    /**
     * A key a script uses with {@code anchor}: on one Redis {@code standalone}; on a cluster
     * {@code {anchor}suffix}, in the slot of {@code anchor} itself.
     */
    public String besides(String anchor, String standalone, String suffix) {
        return clustered ? HashSlot.beside(anchor, suffix) : standalone;
    }
}
