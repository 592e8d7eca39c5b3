package io.celeriac.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Response;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}), so Redis neither receives nor hashes the script text on every call;
 * the text goes once, when Redis does not know the script yet (after a restart, say).
 */
public final class LuaScript {

    private final String text;
    private final String sha;
    private final boolean oneSlot;

    /** A script whose keys share one hash slot, as Redis Cluster requires; checked on every call. */
    public LuaScript(String text) {
        this(text, true);
    }

    /**
     * A script whose keys may lie in different slots, legal on one Redis only: keys named as Celery or earlier
     * releases name them there, which a cluster names with a common tag instead (see RedisTopology); the Redis
     * Cluster client refuses them with CROSSSLOT otherwise.
     */
    public static LuaScript acrossSlots(String text) {
        return new LuaScript(text, false);
    }

    private LuaScript(String text, boolean oneSlot) {
        this.text = text;
        this.oneSlot = oneSlot;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the script with {@code keys} as KEYS and {@code args} as ARGV. */
    public Response run(RedisDataSource redis, List<String> keys, String... args) {
        List<String> rest = arguments(keys, args);
        try {
            return redis.execute("EVALSHA", prepend(sha, rest));
        } catch (RuntimeException e) {
            if (String.valueOf(e.getMessage()).contains("NOSCRIPT")) {
                return redis.execute("EVAL", prepend(text, rest));
            }
            throw e;
        }
    }

    /**
     * As {@link #run}, without holding the calling thread: the reply is handled on the Redis client's event loop,
     * which is what a worker wants for the write after a task, the last step before the ack.
     */
    public Uni<Response> runLater(ReactiveRedisDataSource redis, List<String> keys, String... args) {
        List<String> rest = arguments(keys, args);
        return redis.execute("EVALSHA", prepend(sha, rest))
                .onFailure(e -> String.valueOf(e.getMessage()).contains("NOSCRIPT"))
                .recoverWithUni(() -> redis.execute("EVAL", prepend(text, rest)));
    }

    private List<String> arguments(List<String> keys, String... args) {
        if (oneSlot && !HashSlot.same(keys)) {
            throw new IllegalArgumentException("a script's keys must share one hash slot (Redis Cluster answers "
                    + "CROSSSLOT otherwise): " + keys);
        }
        List<String> rest = new ArrayList<>(keys.size() + args.length + 1);
        rest.add(Integer.toString(keys.size()));
        rest.addAll(keys);
        rest.addAll(List.of(args));
        return rest;
    }

    private static String[] prepend(String first, List<String> rest) {
        String[] all = new String[rest.size() + 1];
        all[0] = first;
        for (int i = 0; i < rest.size(); i++) {
            all[i + 1] = rest.get(i);
        }
        return all;
    }
}
