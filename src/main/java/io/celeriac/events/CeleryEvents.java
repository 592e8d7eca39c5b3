package io.celeriac.events;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.control.RemoteControl;
import io.celeriac.message.WireJson;
import io.celeriac.queue.Queues;
import io.celeriac.role.Role;
import io.celeriac.role.Roles;
import io.celeriac.worker.WorkerRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Celery's events on the {@code celeryev} exchange, so {@code celery events} and Flower follow Java workers: worker
 * events always on a worker (Python sends heartbeats unless {@code --without-heartbeat}), task events only with
 * {@code celeriac.worker.send-task-events} (Python's {@code -E}). Events are monitoring, not data: the task methods
 * run on the worker's hot path, so they only queue the event for one sender thread, and events that find the queue
 * full or the broker away are dropped and counted rather than waited for.
 */
@Singleton
public class CeleryEvents {

    private static final Logger LOG = Logger.getLogger(CeleryEvents.class);
    static final String EXCHANGE = "celeryev";
    static final String SW_IDENT = "celeriac";
    static final String SW_VER = "0.1";
    static final double FREQ = 2.0;
    private static final long RECONNECT_PAUSE_MILLIS = 2000;
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final CeleriacConfig config;
    private final Roles roles;
    private final RemoteControl control;
    private final boolean taskEvents;
    private final String node;
    private final long pid = ProcessHandle.current().pid();
    private final ZoneId zone = ZoneId.systemDefault();
    private final AMQP.BasicProperties properties;
    private final AtomicLong clock = new AtomicLong();
    private final LongAdder processed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final ThreadPoolExecutor sender;
    private volatile IntSupplier active = () -> 0;
    private volatile boolean online;
    /** Only the sender thread touches these, except for the final abort at shutdown. */
    private volatile Connection connection;
    private Channel channel;
    private long nextAttemptMillis;
    private boolean warned;

    public CeleryEvents(CeleriacConfig config, Roles roles, WorkerRegistry workers, RemoteControl control) {
        this.config = config;
        this.roles = roles;
        this.control = control;
        this.taskEvents = config.worker().sendTaskEvents();
        this.node = workers.name();
        this.properties = new AMQP.BasicProperties.Builder().contentType("application/json")
                .contentEncoding("utf-8").deliveryMode(1).headers(Map.of("hostname", node)).build();
        this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(10_000), r -> {
            Thread thread = new Thread(r, "celeriac-events");
            thread.setDaemon(true);
            return thread;
        }, (r, executor) -> dropped.increment());
    }

    /** Whether task events are sent: callers skip building their fields (reprs of arguments and results) if not. */
    public boolean sendsTaskEvents() {
        return taskEvents;
    }

    /** How many tasks this worker runs now, for the {@code active} field of worker events. */
    public void activeTasks(IntSupplier count) {
        this.active = count;
    }

    /** Events not sent: the queue was full, the broker away, or the publish failed. */
    public long dropped() {
        return dropped.sum();
    }

    void start(@Observes StartupEvent event) {
        if (!roles.has(Role.WORKER)) {
            return;
        }
        control.onHeartbeatRequest(this::heartbeat);
        online = true;
        send(workerEvent("worker-online"));
    }

    @Scheduled(every = "2s", skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void heartbeat() {
        if (online) {
            send(workerEvent("worker-heartbeat"));
        }
    }

    public void taskReceived(String uuid, String name, String argsrepr, String kwargsrepr, String rootId,
            String parentId, int retries, String eta, String expires) {
        if (taskEvents) {
            send(event("task-received").put("uuid", uuid).put("name", name).put("args", argsrepr)
                    .put("kwargs", kwargsrepr).put("root_id", rootId).put("parent_id", parentId)
                    .put("retries", retries).put("eta", eta).put("expires", expires));
        }
    }

    public void taskStarted(String uuid) {
        if (taskEvents) {
            send(event("task-started").put("uuid", uuid));
        }
    }

    /** {@code resultRepr} is Python's repr of the result, as Celery sends it, not the result itself. */
    public void taskSucceeded(String uuid, String resultRepr, double runtimeSeconds) {
        processed.increment();
        if (taskEvents) {
            send(event("task-succeeded").put("uuid", uuid).put("result", resultRepr).put("runtime", runtimeSeconds));
        }
    }

    public void taskFailed(String uuid, String exceptionRepr, String traceback) {
        processed.increment();
        if (taskEvents) {
            send(event("task-failed").put("uuid", uuid).put("exception", exceptionRepr).put("traceback", traceback));
        }
    }

    public void taskRetried(String uuid, String exceptionRepr, String traceback) {
        processed.increment();
        if (taskEvents) {
            send(event("task-retried").put("uuid", uuid).put("exception", exceptionRepr)
                    .put("traceback", traceback));
        }
    }

    private ObjectNode event(String type) {
        Instant now = Instant.now();
        return event(type, node, pid, clock.incrementAndGet(), now, utcoffset(zone, now));
    }

    private ObjectNode workerEvent(String type) {
        int running;
        try {
            running = active.getAsInt();
        } catch (RuntimeException e) {
            running = 0; // the worker's count must not cost it its heartbeat
        }
        return worker(event(type), running, processed.sum(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /** The fields every event carries, as Celery's {@code EventDispatcher.publish} sets them. */
    static ObjectNode event(String type, String hostname, long pid, long clock, Instant now, int utcoffset) {
        return JSON.objectNode().put("hostname", hostname).put("utcoffset", utcoffset).put("pid", pid)
                .put("clock", clock).put("timestamp", now.getEpochSecond() + now.getNano() / 1e9).put("type", type);
    }

    /** Python's {@code time.timezone // 3600} (or {@code altzone} in summer time): hours west of UTC, floored. */
    static int utcoffset(ZoneId zone, Instant now) {
        return Math.floorDiv(-zone.getRules().getOffset(now).getTotalSeconds(), 3600);
    }

    /** The fields of Celery's worker heartbeat ({@code celery/worker/heartbeat.py}). */
    static ObjectNode worker(ObjectNode event, int active, long processed, double loadAverage) {
        // The JVM gives only the one-minute average; Celery sends the 1, 5 and 15 minute ones.
        double load = loadAverage < 0 ? 0.0 : Math.round(loadAverage * 100) / 100.0;
        event.put("freq", FREQ).put("active", active).put("processed", processed);
        event.putArray("loadavg").add(load).add(load).add(load);
        return event.put("sw_ident", SW_IDENT).put("sw_ver", SW_VER).put("sw_sys", System.getProperty("os.name"));
    }

    static String routingKey(String type) {
        return type.replace('-', '.');
    }

    private void send(ObjectNode event) {
        try {
            sender.execute(() -> publish(event));
        } catch (RuntimeException e) {
            dropped.increment();
        }
    }

    private void publish(ObjectNode event) {
        try {
            Channel open = channel();
            if (open == null) {
                dropped.increment();
                return;
            }
            open.basicPublish(EXCHANGE, routingKey(event.get("type").textValue()), properties,
                    WireJson.MAPPER.writeValueAsBytes(event));
        } catch (Exception e) {
            dropped.increment();
            failed(e);
        }
    }

    /** The channel, reopened at most every 2 s: a broker that is down costs one attempt, not one per event. */
    private Channel channel() throws Exception {
        if (channel != null && channel.isOpen()) {
            return channel;
        }
        long now = System.currentTimeMillis();
        if (now < nextAttemptMillis) {
            return null;
        }
        nextAttemptMillis = now + RECONNECT_PAUSE_MILLIS;
        disconnect();
        connection = Queues.connect(config.broker(), 2000, "celeriac-events");
        channel = connection.createChannel();
        channel.exchangeDeclare(EXCHANGE, "topic", true, false, Map.of());
        if (warned) {
            LOG.infof("sending Celery events again (%d dropped so far)", dropped.sum());
        }
        warned = false;
        return channel;
    }

    private void failed(Exception e) {
        disconnect();
        if (warned) {
            LOG.debugf("Celery events not sent: %s", reason(e));
        } else {
            warned = true;
            LOG.warnf("Celery events not sent (broker unreachable?), dropping them until it is back: %s",
                    reason(e));
        }
    }

    /** A failed channel call's IOException has no message; the broker's reason is in its cause. */
    private static String reason(Exception e) {
        return e.getMessage() != null ? e.getMessage() : String.valueOf(e.getCause());
    }

    private void disconnect() {
        channel = null;
        Connection open = connection;
        connection = null;
        if (open != null) {
            open.abort(1000);
        }
    }

    @PreDestroy
    void close() {
        if (online) {
            online = false;
            send(workerEvent("worker-offline"));
        }
        sender.execute(this::disconnect);
        sender.shutdown();
        try {
            if (!sender.awaitTermination(1, TimeUnit.SECONDS)) {
                sender.shutdownNow();
                Connection open = connection;
                if (open != null) {
                    open.abort(200);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
