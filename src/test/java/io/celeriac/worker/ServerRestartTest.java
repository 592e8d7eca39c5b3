package io.celeriac.worker;

import io.quarkus.test.junit.QuarkusTest;

/** {@link ServerRestartContract} over AMQP 0-9-1, the default connector. */
@QuarkusTest
class ServerRestartTest extends ServerRestartContract {
}
