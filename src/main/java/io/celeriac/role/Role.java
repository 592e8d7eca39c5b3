package io.celeriac.role;

/** The parts of Celeriac an instance runs, as Celery splits the web process, {@code worker} and {@code beat}. */
public enum Role {
    API,
    WORKER,
    BEAT
}
