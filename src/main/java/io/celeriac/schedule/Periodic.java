package io.celeriac.schedule;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Sends a {@code @Task} method (without parameters) periodically, as a {@code beat_schedule} entry would. Give
 * {@link #every()} or {@link #cron()}. The entry is named after the task unless {@link #name()} says otherwise.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Periodic {

    String name() default "";

    /** A duration such as {@code 30s} or {@code PT1H}. */
    String every() default "";

    /** Quartz's six or seven fields, or Unix's five. */
    String cron() default "";

    /** Time zone of the cron expression; UTC when empty. */
    String timeZone() default "";

    Missed missed() default Missed.SKIP;

    boolean skipIfRunning() default false;
}
