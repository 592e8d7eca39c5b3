package io.celeriac.example;

import io.quarkus.test.junit.QuarkusTest;

/** The seed flow over AMQP 0-9-1 (the default connector), on H2. */
@QuarkusTest
class SeedFlowTest extends SeedFlowContract {
}
