package io.celeriac.outbox;

import io.celeriac.testing.PostgresProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * The outbox on PostgreSQL, production's database: the same tests, so the guarded claim of two relays and the
 * enlisted insert are proven where row locks and READ COMMITTED are PostgreSQL's, not H2's.
 */
@QuarkusTest
@TestProfile(PostgresProfile.class)
class OutboxPostgresTest extends OutboxTest {
}
