package io.celeriac.worker;

/** A message came back more often than {@code celeriac.worker.max-redeliveries} allows, so it is not run again. */
public class RedeliveryLimitExceeded extends RuntimeException {

    RedeliveryLimitExceeded(String message) {
        super(message);
    }
}
