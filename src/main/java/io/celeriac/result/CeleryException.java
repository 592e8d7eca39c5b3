package io.celeriac.result;

/**
 * An error that Celery has a class of its own for: stored under Celery's class and module, so a Python client raises
 * the exception it knows ({@code celery.exceptions.ChordError}, say).
 */
public interface CeleryException {

    String excType();

    default String excModule() {
        return "celery.exceptions";
    }
}
