package io.celeriac.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.celeriac.client.AsyncResult;
import io.celeriac.client.TaskClient;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.quarkus.test.junit.QuarkusTest;

/** Without a collector configured, as here, nothing is sampled: no span is exported, and none is kept in memory. */
@QuarkusTest
class UncollectedTracesTest {

    @ConfigProperty(name = "quarkus.otel.traces.sampler.arg")
    String ratio;

    @Inject
    InMemorySpanExporter spans;

    @Inject
    TaskClient tasks;

    @Test
    void withoutAnEndpointNoTraceIsSampled() throws InterruptedException {
        assertEquals("0.0", ratio);
        spans.reset();
        AsyncResult<Integer> sum = tasks.delay("add", 1, 2);
        assertEquals(3, sum.get(Duration.ofSeconds(15)));
        // The batch processor exports every 50 ms here: a sampled span would be in by now.
        Thread.sleep(500);
        assertTrue(spans.getFinishedSpanItems().isEmpty(), spans.getFinishedSpanItems().toString());
    }
}
