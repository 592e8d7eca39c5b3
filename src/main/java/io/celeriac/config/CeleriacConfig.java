package io.celeriac.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.celeriac.role.Role;
import io.celeriac.schedule.Missed;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Celeriac's own settings. Names follow Celery's where one exists ({@code task_ignore_result} becomes
 * {@code celeriac.task-ignore-result}).
 */
@ConfigMapping(prefix = "celeriac")
public interface CeleriacConfig {

    /**
     * The SmallRye connector that carries task messages: {@code smallrye-rabbitmq} (AMQP 0-9-1, for RabbitMQ 3.x)
     * or {@code smallrye-amqp} (AMQP 1.0, for RabbitMQ 4.x and other AMQP 1.0 brokers). The channel configuration
     * in application.properties reads it.
     */
    @WithDefault("smallrye-rabbitmq")
    String connector();

    /**
     * What this instance does: {@code api} (serves the application's HTTP endpoints and sends tasks), {@code worker}
     * (consumes and runs tasks), {@code beat} (sends periodic tasks). One build runs any combination.
     */
    @WithDefault("api,worker,beat")
    Set<Role> roles();

    /** Celery's {@code task_ignore_result}: whether a task's result is dropped unless the task says otherwise. */
    @WithDefault("true")
    boolean taskIgnoreResult();

    /**
     * Celery's {@code task_store_errors_even_if_ignored}, but on by default: a failure is never dropped silently,
     * even for a task whose result is ignored.
     */
    @WithDefault("true")
    boolean taskStoreErrorsEvenIfIgnored();

    /** Celery's {@code result_expires}: how long a result (and any state record) lives in Redis. */
    @WithDefault("1d")
    Duration resultExpires();

    /**
     * How many Redis replicas must hold a task's outcome before its message is acknowledged (Redis {@code WAIT}, on
     * the connection that wrote it). 0: acknowledged once the primary has it, so a fail-over to a replica that had
     * not caught up loses that outcome while its message is gone. With 1 or more, an outcome not replicated within
     * {@link #resultReplicasTimeout()} counts as not stored: the worker holds the message and writes again. Not on
     * Redis Cluster, whose client cannot send WAIT to the shard that took the write.
     */
    @WithDefault("0")
    int resultReplicas();

    @WithDefault("2s")
    Duration resultReplicasTimeout();

    /** How long a dead letter is kept for inspection and requeueing. */
    @WithDefault("7d")
    Duration deadLetterExpires();

    /**
     * How long sending may take before it fails (Celery's publish retry policy, bounded): a broker that is down or a
     * sender that cannot attach must not hang a request.
     */
    @WithDefault("5s")
    Duration taskPublishTimeout();

    /**
     * Celery's {@code task_queue_max_priority}: task queues are declared with {@code x-max-priority} of this value, so
     * a task's priority (0-9) orders them. Every client and worker of a queue must say the same (RabbitMQ refuses a
     * queue declared twice with different arguments), and an existing queue keeps what it was declared with.
     */
    Optional<Integer> taskQueueMaxPriority();

    /**
     * Celery's {@code task_routes}: the queue for tasks by name, or by a glob such as {@code reports.*}; a route
     * naming the task wins, else the longest matching glob. Beneath a call's own queue and above the task's
     * {@code @Task(queue)}.
     */
    Map<String, String> taskRoutes();

    /**
     * The most a call's arguments (args and kwargs as JSON) may weigh: a larger send fails before anything is
     * published (HTTP 413), rather than carry megabytes through the broker and the workers. Pass ids, not data.
     */
    @WithDefault("1M")
    io.quarkus.runtime.configuration.MemorySize taskMaxArgsSize();

    /**
     * The most a task's result (as JSON) may weigh: a larger one ends the task as FAILURE ("result too large")
     * instead of filling Redis, and is never retried.
     */
    @WithDefault("1M")
    io.quarkus.runtime.configuration.MemorySize resultMaxSize();

    Security security();

    /** The dashboard's charts. */
    DashboardSettings dashboard();

    interface DashboardSettings {
        /** How often the cluster's counters and queue depth are sampled for the charts (kept 15 minutes). */
        @WithDefault("5s")
        Duration sampleInterval();
    }

    /** Dev mode's own servers (see {@code io.celeriac.devservices.DevServers}). */
    DevServices devservices();

    interface DevServices {
        /**
         * In dev mode, start local RabbitMQ and Redis when the configured ones are on this machine and do not answer
         * (on in the dev profile, off elsewhere).
         */
        @WithDefault("false")
        boolean enabled();
    }

    interface Security {
        /**
         * Signs every message sent with HMAC-SHA256 under this key, and makes workers dead-letter messages whose
         * signature is missing or wrong. Every Celeriac client and worker of a broker needs the same key; Python
         * Celery clients cannot sign, so their messages are refused while it is set.
         */
        Optional<String> signingKey();
    }

    Broker broker();

    Beat beat();

    /** Sends made inside a transaction: held in the database until it commits (see {@code io.celeriac.outbox}). */
    OutboxSettings outbox();

    Delayed delayed();

    /** Tasks with an eta, kept in Redis until due. */
    interface Delayed {
        /** How often each instance moves due tasks to the broker (Quarkus's scheduler: at least 1 s). */
        @WithDefault("1s")
        Duration pollInterval();
    }

    Worker worker();

    Events events();

    /** The live streams of task events ({@code GET /tasks/events}). */
    interface Events {
        /**
         * How many clients one instance streams to at once; past it, a new client gets 503. Every client shares the
         * instance's one Redis subscription, so they cost memory and bandwidth, not Redis connections.
         */
        @WithDefault("1000")
        int maxSubscribers();
    }

    /** Where the broker is; both connectors read these (Celery's {@code broker_url}, split into parts). */
    interface Broker {
        @WithDefault("localhost")
        String host();

        @WithDefault("5672")
        int port();

        /**
         * The nodes of a RabbitMQ cluster as {@code host:port}, in place of {@code host} and {@code port}: each
         * connection goes to one of them that answers and, once it is lost, to another (AMQP 0-9-1 only; over AMQP 1.0
         * put a load balancer in front of the nodes).
         */
        Optional<List<String>> addresses();

        /**
         * The type of the task queues and the dead-letter queue, as Celeriac declares them ({@code x-queue-type}):
         * {@code classic}, or {@code quorum} for a queue replicated over a RabbitMQ cluster. Every client and worker of
         * a queue, and the definitions file, must say the same (see the README, "Scaling out").
         */
        @WithDefault("classic")
        QueueType queueType();

        enum QueueType {
            CLASSIC,
            QUORUM
        }

        @WithDefault("guest")
        String username();

        @WithDefault("guest")
        String password();

        /** The queue tasks go to and workers consume (Celery's {@code task_default_queue}). */
        @WithDefault("celery")
        String queue();

        /**
         * TLS to the broker (Celery's {@code amqps://}): {@code port} is then the broker's TLS listener, usually 5671,
         * and its certificate must name {@code host}.
         */
        @WithDefault("false")
        boolean tls();

        /**
         * The trust store (PKCS#12 or JKS) holding the certificate authority of the broker's certificate; without
         * one, the JVM's default trust applies.
         */
        Optional<String> trustStore();

        Optional<String> trustStorePassword();
    }

    interface OutboxSettings {
        /**
         * Whether a send inside an active transaction goes through the outbox table: published after the commit,
         * never for a rollback, and published by any instance if this one dies in between. Off: published at once.
         */
        @WithDefault("true")
        boolean enabled();

        /** How often every instance looks for rows an instance left behind (and publishes them). */
        @WithDefault("5s")
        Duration sweepInterval();

        /** How long the instance that wrote a row has to publish it, before any other may. */
        @WithDefault("30s")
        Duration claimLease();

        /** Whether Celeriac creates its table when it is missing; off, create it yourself (README, "Sending"). */
        @WithDefault("true")
        boolean createTable();
    }

    /** Celery beat: periodic tasks, sent by whichever beat instance holds the lease. */
    interface Beat {
        /**
         * How long the leader's lease lasts without renewal; another instance takes over within about this long after
         * the leader dies.
         */
        @WithDefault("10s")
        Duration lease();

        /**
         * How often the leader looks for due ticks (and renews its lease). Quarkus's scheduler fires at most once a
         * second, so ticks go out within a second of their time.
         */
        @WithDefault("1s")
        Duration resolution();

        /**
         * A tick later than this is a misfire (the whole beat was down), handled by the entry's {@code missed}
         * policy; a later but not misfired tick, such as one due during a leader change, is still sent.
         */
        @WithDefault("60s")
        Duration misfireThreshold();

        /** Celery's {@code beat_schedule}: entries by name. */
        Map<String, Entry> schedule();

        interface Entry {
            /** The task to send. */
            String task();

            /** Positional arguments, as a JSON array. */
            Optional<String> args();

            /** Named arguments, as a JSON object. */
            Optional<String> kwargs();

            /** A fixed interval, aligned to the epoch so every instance agrees on the ticks. */
            Optional<Duration> every();

            /** A cron expression: Quartz's six or seven fields, or Unix's five. */
            Optional<String> cron();

            /** The time zone of the cron expression (default UTC). */
            Optional<String> timeZone();

            /** What to do with misfired ticks: {@code skip} them, or send one {@code catch-up} run. */
            @WithDefault("skip")
            Missed missed();

            /** Skip a tick while the run sent for the previous tick of this entry has not finished. */
            @WithDefault("false")
            boolean skipIfRunning();
        }
    }

    interface Worker {
        /**
         * How many tasks one worker instance runs at once (Celery's {@code worker_concurrency}). The channel's
         * prefetch and the worker thread pool read it.
         */
        @WithDefault("8")
        int concurrency();

        /**
         * The queues this worker consumes (Celery's {@code -Q a,b}), declared as Celery declares them. Each queue gets
         * the worker's concurrency. Over AMQP 1.0, one queue per worker process.
         */
        @WithDefault("celery")
        List<String> queues();

        /** Celery's worker node name ({@code -n}); defaults to {@code pid@hostname}. */
        Optional<String> name();

        /** How often a worker tells Redis it is alive; it counts as gone after three missed beats. */
        @WithDefault("5s")
        Duration heartbeatInterval();

        /**
         * Liveness fails when tasks wait in the queue, this worker has free slots, and nothing has reached it for this
         * long: a consumer that stays up but consumes nothing (celery #3201) gets restarted.
         */
        @WithDefault("60s")
        Duration stuckAfter();

        /**
         * On shutdown (SIGTERM), how long a worker waits for its running tasks after it stopped taking new ones;
         * what is still unfinished then goes back to the broker.
         */
        @WithDefault("30s")
        Duration shutdownGrace();

        /** How often a worker looks for revocations of the tasks it runs, to interrupt them. */
        @WithDefault("1s")
        Duration revokePollInterval();

        /**
         * How many times a message may come back (its worker died or lost the broker while running it) before it is
         * dead-lettered instead of run again: a task that kills its worker must not do so for ever.
         */
        @WithDefault("5")
        int maxRedeliveries();

        /**
         * How long one write of a task's outcome may wait for Redis before it is tried again (a reply that never
         * comes must not wedge the worker's slot).
         */
        @WithDefault("5s")
        Duration writeTimeout();

        /**
         * Celery's {@code worker_send_task_events} ({@code -E}): task events on the {@code celeryev} exchange, for
         * {@code celery events} and Flower. Off by default, as in Celery; worker heartbeats are always sent.
         */
        @WithDefault("false")
        boolean sendTaskEvents();

        /**
         * Celery's {@code task_track_started}: a task whose result is kept is recorded as STARTED (with the worker,
         * its queue and its call, for the task's view) when it starts. Off, a kept result goes from PENDING straight
         * to its outcome, as in Celery by default, and each task costs one Redis write less; the checks before a run
         * (revoked, already final, redelivered too often) are made either way.
         */
        @WithDefault("true")
        boolean trackStarted();

        /**
         * Celery's {@code worker_prefetch_multiplier}, over AMQP 0-9-1: the broker hands a worker up to
         * {@code concurrency × this} unacknowledged messages. 1 (Celery's default is 4) keeps every task not yet
         * started in the queue, where any idle worker takes it: none waits behind a long task in another worker's
         * buffer (celery #2788). More saves the broker work per message for many short tasks (see the README's
         * benchmark), at that cost.
         */
        @WithDefault("1")
        int prefetchMultiplier();
    }
}
