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

    /** Celery's {@code ignore_result}: {@link Result#KEEP} is {@code ignore_result=False}. */
    Result result() default Result.DEFAULT;

    enum Result {
        /** As {@code celeriac.task-ignore-result} says. */
        DEFAULT,
        /** Store state, progress and result in the result store. */
        KEEP,
        /** Store nothing but failures (see {@code celeriac.task-store-errors-even-if-ignored}). */
        IGNORE
    }
}
