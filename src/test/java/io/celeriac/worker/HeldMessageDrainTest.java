package io.celeriac.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.RawMessages;
import io.celeriac.testing.ReplicaAndGraceProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * A message held while Redis is away (the worker tries it again after a pause) is not a task in hand: a shutdown
 * meanwhile does not wait out its grace for it, and the message goes back with the connection. The drain leaves the
 * worker taking nothing more, so this runs last in its profile's app (the orderer groups classes by profile, then by
 * name: io.celeriac.result's ResultReplicasTest runs before it).
 */
@QuarkusTest
@TestProfile(ReplicaAndGraceProfile.class)
class HeldMessageDrainTest {

    @Inject
    Worker worker;

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @ConfigProperty(name = "celeriac.broker.port")
    int brokerPort;

    @Test
    void aShutdownDoesNotWaitForAMessageHeldUntilRedisIsBack() throws Exception {
        BrokerAndRedis.redis(servers, "stop");
        try {
            RawMessages.publish(brokerPort, "{\"id\": \"" + UUID.randomUUID()
                    + "\", \"task\": \"counted_ignored\", \"args\": [\"" + UUID.randomUUID() + "\", 0]}");
            // Its first tries fail: held, and tried again after 1 s, then 2 s, then 4 s.
            Thread.sleep(2500);
            long started = System.nanoTime();
            worker.drain(null);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertTrue(millis < 7_000, "the drain took " + millis + " ms of its 15 s grace for a held message");
        } finally {
            BrokerAndRedis.redis(servers, "start");
        }
    }
}
