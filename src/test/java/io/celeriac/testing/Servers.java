package io.celeriac.testing;

import io.quarkus.test.common.QuarkusTestResource;

/** Puts every @QuarkusTest on its own private RabbitMQ and Redis. */
@QuarkusTestResource(BrokerAndRedis.class)
public class Servers {
}
