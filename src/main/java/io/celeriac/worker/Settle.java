package io.celeriac.worker;

/** What becomes of a message once the worker is done with it. */
enum Settle {
    /** Its outcome is stored (or it can never run): acknowledge it. */
    ACK,
    /**
     * Nothing was done that must not be repeated, and the failure is the infrastructure's: try it again here after a
     * pause, holding the message (see Worker).
     */
    AGAIN,
    /**
     * Leave it unsettled: the worker is stopping and its outcome was not stored, so it must run elsewhere. The broker
     * redelivers it once this worker's connection closes; a put-back would hand it straight back to this consumer.
     */
    LEAVE
}
