package io.celeriac.tracing;

import java.util.List;
import java.util.Map;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;

/**
 * Traces are exported only where someone collects them. The sampler is a trace-id ratio (set at build time in
 * application.properties), and its ratio defaults to all when an OTLP endpoint is configured and to none otherwise:
 * an application without a collector then exports nothing and never tries to connect to one, while trace ids are
 * still made, carried in task messages and shown with each task. An explicit
 * {@code quarkus.otel.traces.sampler.arg} wins.
 */
public class TracingDefaults implements ConfigSourceFactory {

    static final String RATIO = "quarkus.otel.traces.sampler.arg";
    /** Below application.properties (250) and the environment: a user's own choice wins. */
    static final int ORDINAL = 200;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        boolean collected = configured(context, "quarkus.otel.exporter.otlp.traces.endpoint")
                || configured(context, "quarkus.otel.exporter.otlp.endpoint");
        return List.of(new PropertiesConfigSource(Map.of(RATIO, collected ? "1.0" : "0.0"), "celeriac-tracing-defaults",
                ORDINAL));
    }

    private static boolean configured(ConfigSourceContext context, String key) {
        ConfigValue value = context.getValue(key);
        // Quarkus gives the traces endpoint a default (localhost:4317), which says nothing about a collector.
        return value != null && value.getValue() != null && !value.getValue().isBlank()
                && value.getConfigSourceOrdinal() != Integer.MIN_VALUE;
    }
}
