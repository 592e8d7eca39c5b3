package io.celeriac.example;

import io.celeriac.testing.Amqp10Profile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The same flow with tasks carried over AMQP 1.0 through RabbitMQ's AMQP 1.0 plugin. */
@QuarkusTest
@TestProfile(Amqp10Profile.class)
class SeedFlowAmqp10Test extends SeedFlowContract {
}
