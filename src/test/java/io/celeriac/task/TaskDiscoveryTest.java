package io.celeriac.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/**
 * The build finds every task method without reflection, and the registry finds the same ones at start-up: a task that
 * reflection cannot see (a native image's missing registration) would stop start-up, never vanish.
 */
@QuarkusTest
class TaskDiscoveryTest {

    @Inject
    DiscoveredTasks discovered;

    @Inject
    TaskRegistry registry;

    @Test
    void theBuildAndTheRegistrySeeTheSameTasks() {
        Set<String> registered = registry.all().stream()
                .map(t -> DiscoveredTasks.key(t.bean().getBeanClass().getName(), t.method().getName()))
                .collect(Collectors.toSet());
        assertEquals(registered, discovered.methods());
        assertTrue(discovered.methods().contains("io.celeriac.example.NoopTask#noop"), discovered.methods().toString());
        assertTrue(registry.find("noop").isPresent());
    }

    @Test
    void aTaskTheBuildSawButReflectionDoesNotIsNamed() {
        Set<String> missing = TaskRegistry.missing(Set.of("a.B#run", "a.C#go"), Set.of("a.B#run"));
        assertEquals(Set.of("a.C#go"), missing);
    }
}
