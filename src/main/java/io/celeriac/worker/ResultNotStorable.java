package io.celeriac.worker;

/**
 * A task returned a value that cannot become JSON (a cycle, a lazy collection, a getter that throws): its outcome
 * cannot be stored; or one larger than {@code celeriac.result-max-size}. Never retried, since every run would end the
 * same way.
 */
public class ResultNotStorable extends RuntimeException {

    ResultNotStorable(String task, long size, long max) {
        super("result too large: the result of task '" + task + "' is " + size + " bytes of JSON, more than "
                + "celeriac.result-max-size (" + max + " bytes)");
    }

    ResultNotStorable(String task, Object returned, Throwable cause) {
        super("the result of task '" + task + "' cannot be stored as JSON (" + returned.getClass().getName() + "): "
                + cause.getMessage(), cause);
    }
}
