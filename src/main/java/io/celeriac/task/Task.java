package io.celeriac.task;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a CDI bean as a task that can be sent to workers, like Celery's {@code @shared_task}.
 * Arguments and the return value travel as JSON: pass ids, not entities.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Task {

    /** The name senders use. Defaults to the method name. */
    String name() default "";

    /**
     * The queue this task is sent to (Celery's {@code queue} option). Empty: as {@code celeriac.task-routes} says,
     * else the default queue ({@code celeriac.broker.queue}).
     */
    String queue() default "";

    /** The priority its messages carry, 0 (lowest) to 9, on queues declared with a maximum priority; -1: none. */
    int priority() default -1;

    /** Celery's {@code ignore_result}: {@link Result#KEEP} is {@code ignore_result=False}. */
    Result result() default Result.DEFAULT;

    /**
     * Celery's {@code autoretry_for}: exceptions that send the task again, up to {@link #maxRetries()} times, with
     * exponential backoff. A task can also ask for a retry itself with {@code TaskContext.retry}.
     */
    Class<? extends Throwable>[] autoretryFor() default {};

    /** Celery's {@code max_retries}. After the last retry the task ends as FAILURE and is dead-lettered. */
    int maxRetries() default 3;

    /** The delay before the first retry; it doubles with each retry (Celery's {@code retry_backoff}). */
    String retryBackoff() default "1s";

    /** The longest delay between retries (Celery's {@code retry_backoff_max}). */
    String retryBackoffMax() default "10m";

    /** Celery's {@code retry_jitter}: a random delay between zero and the backoff ("full jitter"). */
    boolean retryJitter() default true;

    /**
     * Celery's {@code time_limit}: after this long the task ends as FAILURE (time limit exceeded) and its worker slot
     * is freed. Empty: none. Durations read like {@code 30s}, {@code 5m} or {@code PT1H}.
     */
    String timeLimit() default "";

    /**
     * Celery's {@code soft_time_limit}: after this long the task's thread is interrupted, so it can clean up
     * ({@code InterruptedException}, or {@code TaskContext.softTimeLimitExceeded()}).
     */
    String softTimeLimit() default "";

    /**
     * Runs the whole task in one transaction, committed when it returns and rolled back when it throws or its result
     * cannot be stored; its timeout is the task's hard {@link #timeLimit()} (Quarkus's default transaction timeout,
     * 60 s, when it has none). Off by default: like Celery's app context, a task gets a Hibernate session but no
     * transaction, so it can run for hours; the parts that write use {@code @Transactional} or
     * {@code QuarkusTransaction} themselves.
     */
    boolean transactional() default false;

    enum Result {
        /** As {@code celeriac.task-ignore-result} says. */
        DEFAULT,
        /** Store state, progress and result in the result store. */
        KEEP,
        /** Store nothing but failures (see {@code celeriac.task-store-errors-even-if-ignored}). */
        IGNORE
    }
}
