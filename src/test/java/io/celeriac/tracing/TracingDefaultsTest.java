package io.celeriac.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Iterator;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigValue;

class TracingDefaultsTest {

    @Test
    void everyTraceIsSampledOnceACollectorIsConfiguredAndNoneBefore() {
        assertEquals("0.0", ratio(Map.of()));
        assertEquals("0.0", ratio(Map.of("quarkus.otel.exporter.otlp.traces.endpoint",
                value("http://localhost:4317/", Integer.MIN_VALUE))), "Quarkus's own default is no collector");
        assertEquals("1.0", ratio(Map.of("quarkus.otel.exporter.otlp.traces.endpoint",
                value("http://collector:4317", 300))));
        assertEquals("1.0", ratio(Map.of("quarkus.otel.exporter.otlp.endpoint", value("http://collector:4317", 250))));
    }

    private static String ratio(Map<String, ConfigValue> values) {
        ConfigSourceContext context = new ConfigSourceContext() {
            @Override
            public ConfigValue getValue(String name) {
                return values.get(name);
            }

            @Override
            public Iterator<String> iterateNames() {
                return values.keySet().iterator();
            }
        };
        return new TracingDefaults().getConfigSources(context).iterator().next().getValue(TracingDefaults.RATIO);
    }

    private static ConfigValue value(String value, int ordinal) {
        return ConfigValue.builder().withValue(value).withConfigSourceOrdinal(ordinal).build();
    }
}
