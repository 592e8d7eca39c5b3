package io.celeriac.worker;

import io.celeriac.testing.Amqp10Profile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** {@link ServerRestartContract} over AMQP 1.0, where "hand it back" once meant "dead-letter it". */
@QuarkusTest
@TestProfile(Amqp10Profile.class)
class ServerRestartAmqp10Test extends ServerRestartContract {

    @Override
    boolean unconfirmedSendsMayStillGoOut() {
        return true;
    }
}
