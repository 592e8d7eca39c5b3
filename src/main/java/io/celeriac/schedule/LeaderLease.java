package io.celeriac.schedule;

import java.util.List;
import java.util.Optional;

import jakarta.inject.Singleton;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.config.Node;
import io.celeriac.redis.LuaScript;
import io.quarkus.redis.datasource.RedisDataSource;

/**
 * Which beat instance may send: the holder of a lease in Redis, renewed while it lives. When the holder dies the
 * lease runs out and the next instance to ask takes it.
 */
@Singleton
public class LeaderLease {

    static final String KEY = "celeriac-beat-leader";

    /** Takes the lease if free, renews it if ours; 1 when we hold it afterwards. */
    private static final LuaScript ACQUIRE_OR_RENEW = new LuaScript("""
            local holder = redis.call('GET', KEYS[1])
            if not holder then
              redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
              return 1
            elseif holder == ARGV[1] then
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return 1
            end
            return 0
            """);

    private static final LuaScript RELEASE = new LuaScript("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0
            """);

    private final RedisDataSource redis;
    private final CeleriacConfig config;
    private final String me = Node.id();

    public LeaderLease(RedisDataSource redis, CeleriacConfig config) {
        this.redis = redis;
        this.config = config;
    }

    public String me() {
        return me;
    }

    public boolean hold() {
        var reply = ACQUIRE_OR_RENEW.run(redis, List.of(KEY), me,
                Long.toString(config.beat().lease().toMillis()));
        return reply != null && reply.toLong() == 1L;
    }

    /** Hands the lease on at once, so a stopping leader does not leave a gap of a whole lease. */
    public void release() {
        RELEASE.run(redis, List.of(KEY), me);
    }

    public Optional<String> holder() {
        return Optional.ofNullable(redis.value(String.class).get(KEY));
    }
}
