package io.celeriac.worker;

/**
 * A task returned a value that cannot become JSON (a cycle, a lazy collection, a getter that throws): its outcome
 * cannot be stored. Never retried, since every run would end the same way.
 */
public class ResultNotStorable extends RuntimeException {

    ResultNotStorable(String task, Object returned, Throwable cause) {
        super("the result of task '" + task + "' cannot be stored as JSON (" + returned.getClass().getName() + "): "
                + cause.getMessage(), cause);
    }
}
