package io.celeriac.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Iterator;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigValue;

/** The consumer's 0-9-1 prefetch follows the worker's concurrency and Celery's prefetch multiplier. */
class ChannelDefaultsTest {

    private static ConfigSourceContext settings(Map<String, String> values) {
        return new ConfigSourceContext() {
            @Override
            public ConfigValue getValue(String name) {
                return values.containsKey(name) ? ConfigValue.builder().withName(name).withValue(values.get(name))
                        .build() : null;
            }

            @Override
            public Iterator<String> iterateNames() {
                return values.keySet().iterator();
            }
        };
    }

    private static String prefetch(Map<String, String> values) {
        for (var source : new ChannelDefaults().getConfigSources(settings(values))) {
            String value = source.getValue("mp.messaging.incoming." + Worker.CHANNEL + ".max-outstanding-messages");
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    @Test
    void byDefaultAWorkerReservesNoMoreThanItRuns() {
        assertEquals("8", prefetch(Map.of()));
        assertEquals("3", prefetch(Map.of("celeriac.worker.concurrency", "3")));
    }

    @Test
    void aPrefetchMultiplierReservesThatManyTimesTheConcurrency() {
        assertEquals("12", prefetch(Map.of("celeriac.worker.concurrency", "3", "celeriac.worker.prefetch-multiplier",
                "4")));
        assertEquals("32", prefetch(Map.of("celeriac.worker.prefetch-multiplier", "4")));
    }
}
