package io.celeriac.client;

import java.io.IOException;

/** A publish whose message had left when its channel or connection failed: the broker may have kept it. */
final class MaybePublished extends IOException {

    MaybePublished(String message) {
        super(message);
    }
}
