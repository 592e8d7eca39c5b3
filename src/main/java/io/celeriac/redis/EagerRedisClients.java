package io.celeriac.redis;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import io.quarkus.arc.Arc;
import io.quarkus.arc.ClientProxy;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.runtime.StartupEvent;

/**
 * Creates the Redis clients on the main thread before anything else at start-up can. Quarkus's Redis recorder
 * (3.33) keeps its data sources in a plain HashMap filled by {@code computeIfAbsent}: two threads creating one at
 * once (its own start-up observer, and a thread of ours or of a connector) failed a worker's start with a
 * ConcurrentModificationException (seen once in scripts/bench). Created here first, each is only looked up later.
 */
@ApplicationScoped
public class EagerRedisClients {

    /** Right after DevServers (PLATFORM_BEFORE), which may still be starting the Redis these clients will reach. */
    void create(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE + 1) StartupEvent event) {
        touch(Arc.container().select(io.quarkus.redis.datasource.RedisDataSource.class));
        touch(Arc.container().select(io.quarkus.redis.datasource.ReactiveRedisDataSource.class));
        touch(Arc.container().select(io.vertx.redis.client.Redis.class));
        touch(Arc.container().select(io.vertx.mutiny.redis.client.Redis.class));
    }

    /** Unwrapping a client proxy creates its bean; connecting waits for the first command. */
    private static void touch(InjectableInstance<?> client) {
        if (client.isResolvable()) {
            ClientProxy.unwrap(client.get());
        }
    }
}
