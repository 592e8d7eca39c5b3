package io.celeriac.deploy;

import io.celeriac.testing.Operators;
import io.celeriac.testing.Postgres;
import io.celeriac.testing.Settings;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The api and a separate worker over AMQP 0-9-1, the default connector. */
@QuarkusIntegrationTest
@QuarkusTestResource(value = Postgres.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = Operators.InProduction.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = Settings.class, restrictToAnnotatedClass = true,
        initArgs = @ResourceArg(name = "celeriac.roles", value = "api"))
class ApiAndWorkerIT extends ApiAndWorkerContract {

    @Override
    String connector() {
        return "smallrye-rabbitmq";
    }
}
