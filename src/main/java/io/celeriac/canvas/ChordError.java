package io.celeriac.canvas;

import io.celeriac.result.CeleryException;

/** Celery's {@code ChordError}: a member of the chord's header failed or was revoked, so its body cannot run. */
public class ChordError extends RuntimeException implements CeleryException {

    public ChordError(String message) {
        super(message);
    }

    @Override
    public String excType() {
        return "ChordError";
    }
}
