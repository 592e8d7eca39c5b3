package io.celeriac.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class RoutesTest {

    private final Routes routes = new Routes(Map.of("reports.monthly", "slow", "reports.*", "reports", "*", "any",
            "py.*", "py"), "celery");

    @Test
    void aCallsOwnQueueWinsOverEveryRoute() {
        assertEquals("urgent", routes.queue("reports.monthly", Optional.of("urgent"), Optional.of("declared")));
    }

    @Test
    void aRouteNamingTheTaskWinsOverGlobs() {
        assertEquals("slow", routes.queue("reports.monthly", Optional.empty(), Optional.empty()));
    }

    @Test
    void theMostSpecificGlobWins() {
        assertEquals("reports", routes.queue("reports.daily", Optional.empty(), Optional.empty()));
        assertEquals("py", routes.queue("py.mul", Optional.empty(), Optional.empty()));
        assertEquals("any", routes.queue("add", Optional.empty(), Optional.empty()));
    }

    @Test
    void withoutARouteTheTasksOwnQueueThenTheDefault() {
        Routes none = new Routes(Map.of(), "celery");
        assertEquals("declared", none.queue("add", Optional.empty(), Optional.of("declared")));
        assertEquals("celery", none.queue("add", Optional.empty(), Optional.empty()));
    }

    @Test
    void aGlobMatchesOnlyWhatItSays() {
        Routes dotted = new Routes(Map.of("a.*.z", "q"), "celery");
        assertEquals("q", dotted.queue("a.b.z", Optional.empty(), Optional.empty()));
        assertEquals("celery", dotted.queue("aXbXz", Optional.empty(), Optional.empty()), "a dot is a dot");
    }
}
