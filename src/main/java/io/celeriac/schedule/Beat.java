package io.celeriac.schedule;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.celeriac.client.SendOptions;
import io.celeriac.client.TaskClient;
import io.celeriac.client.TaskNotSentException;
import io.celeriac.client.TaskSendUncertainException;
import io.celeriac.config.CeleriacConfig;
import io.celeriac.result.ResultStore;
import io.celeriac.role.Role;
import io.celeriac.role.Roles;
import io.celeriac.redis.LuaScript;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.hash.HashCommands;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Celery beat, safe to run on every instance. Quarkus's scheduler wakes each beat instance; only the lease holder
 * sends. Each entry's last sent tick is kept in Redis, so a new leader goes on where the old one stopped, and each
 * tick is claimed in Redis before it is sent, so two leaders (a lease handed over while the old one still ran) cannot
 * both send it. A task sent for a tick has an id derived from the entry and the tick.
 */
@Singleton
public class Beat {

    private static final Logger LOG = Logger.getLogger(Beat.class);
    static final String ENTRY_PREFIX = "celeriac-beat-entry-";
    static final String CLAIM_PREFIX = "celeriac-beat-claim-";

    /** Moves the entry's last tick forward only, whoever writes. */
    private static final LuaScript ADVANCE = new LuaScript("""
            local current = tonumber(redis.call('HGET', KEYS[1], 'last_tick') or '0')
            if tonumber(ARGV[1]) > current then
              redis.call('HSET', KEYS[1], 'last_tick', ARGV[1])
              if ARGV[2] ~= '' then
                redis.call('HSET', KEYS[1], 'last_sent_tick', ARGV[1], 'last_task_id', ARGV[2], 'last_sent_at', ARGV[3])
              end
              return 1
            end
            return 0
            """);

    private final BeatSchedule schedule;
    private final LeaderLease lease;
    private final TaskClient client;
    private final ResultStore results;
    private final CeleriacConfig config;
    private final Roles roles;
    private final RedisDataSource redis;
    private final HashCommands<String, String, String> hashes;
    private volatile boolean leading;

    public Beat(BeatSchedule schedule, LeaderLease lease, TaskClient client, ResultStore results,
            CeleriacConfig config, Roles roles, RedisDataSource redis) {
        this.schedule = schedule;
        this.lease = lease;
        this.client = client;
        this.results = results;
        this.config = config;
        this.roles = roles;
        this.redis = redis;
        this.hashes = redis.hash(String.class);
    }

    /** The id of the task sent for an entry's tick: the same on every instance. */
    public static String taskId(String entry, Instant tick) {
        return UUID.nameUUIDFromBytes(("celeriac-beat:" + entry + ":" + tick.toEpochMilli())
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    @Scheduled(every = "${celeriac.beat.resolution}", delayed = "2s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = Scheduled.ApplicationNotRunning.class)
    void wake() {
        if (!roles.has(Role.BEAT) || schedule.entries().isEmpty()) {
            return;
        }
        try {
            boolean lead = lease.hold();
            if (lead != leading) {
                LOG.infof(lead ? "beat %s is now the leader" : "beat %s is no longer the leader", lease.me());
                leading = lead;
            }
            if (!lead) {
                return;
            }
            Instant now = Instant.now();
            for (BeatEntry entry : schedule.entries()) {
                fire(entry, now);
            }
        } catch (RuntimeException e) {
            LOG.warnf("beat %s could not run this round: %s", lease.me(), e.toString());
        }
    }

    private void fire(BeatEntry entry, Instant now) {
        String key = ENTRY_PREFIX + entry.name();
        Map<String, String> state = hashes.hgetall(key);
        String lastTick = state.get("last_tick");
        if (lastTick == null) {
            // A new entry starts with the next tick rather than firing at once on every deploy.
            hashes.hsetnx(key, "last_tick", Long.toString(now.toEpochMilli()));
            return;
        }
        Schedule.Due due = Schedule.due(entry.schedule(), Instant.ofEpochMilli(Long.parseLong(lastTick)), now,
                config.beat().misfireThreshold(), entry.missed());
        String previousTask = state.get("last_task_id");
        for (Instant tick : due.send()) {
            if (entry.skipIfRunning() && previousTask != null && stillRunning(previousTask)) {
                LOG.infof("beat skipped %s tick %s: the run of the previous tick (%s) has not finished",
                        entry.name(), tick, previousTask);
                advance(key, tick, "");
                continue;
            }
            String id = taskId(entry.name(), tick);
            String claim = CLAIM_PREFIX + entry.name() + "-" + tick.toEpochMilli();
            if (claim(claim)) {
                try {
                    client.send(entry.task(), entry.args(), entry.kwargs(), SendOptions.none().taskId(id));
                } catch (TaskNotSentException e) {
                    // Unclaimed again, so this tick is sent on the next round rather than lost.
                    redis.key().del(claim);
                    LOG.warnf("beat could not send %s tick %s, will retry: %s", entry.name(), tick, e.getMessage());
                    return;
                } catch (TaskSendUncertainException e) {
                    // It may be queued: the claim stays and the tick counts as sent, so it cannot run twice.
                    LOG.warnf("beat sent %s tick %s as %s without the broker's confirm; not sending it again: %s",
                            entry.name(), tick, id, e.getMessage());
                }
                LOG.infof("beat sent %s tick %s as %s", entry.name(), tick, id);
            }
            advance(key, tick, id);
            previousTask = id;
        }
        if (due.last().toEpochMilli() > Long.parseLong(lastTick)) {
            advance(key, due.last(), "");
        }
    }

    private boolean claim(String key) {
        var reply = redis.execute("SET", key, lease.me(), "NX", "PX", Long.toString(config.resultExpires().toMillis()));
        return reply != null;
    }

    private boolean stillRunning(String taskId) {
        return results.get(taskId).map(r -> !r.ready()).orElse(false);
    }

    private void advance(String key, Instant tick, String taskId) {
        ADVANCE.run(redis, List.of(key), Long.toString(tick.toEpochMilli()), taskId,
                Instant.now().toString());
    }

    /** What {@code GET /beat} shows of an entry. */
    public Map<String, String> state(BeatEntry entry) {
        return hashes.hgetall(ENTRY_PREFIX + entry.name());
    }

    void stop(@Observes ShutdownEvent event) {
        if (leading) {
            try {
                lease.release();
            } catch (RuntimeException e) {
                LOG.debugf("beat could not release its lease: %s", e.getMessage());
            }
        }
    }
}
