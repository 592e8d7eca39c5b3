package io.celeriac.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The dashboard's runtime percentiles: nearest rank, per task name, over finished tasks only. */
class RuntimesTest {

    private static Map<String, Object> row(String name, Long ms) {
        Map<String, Object> row = new HashMap<>();
        row.put("name", name);
        row.put("runtime_ms", ms);
        return row;
    }

    @Test
    void percentilesAreNearestRankPerTaskName() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long ms = 1; ms <= 100; ms++) {
            rows.add(row("add", ms));
        }
        rows.add(row("add", null));
        rows.add(row("mul", 7L));
        List<Map<String, Object>> runtimes = DashboardResource.runtimes(rows);
        assertEquals(List.of(Map.of("name", "add", "count", 100, "p50_ms", 50L, "p95_ms", 95L, "max_ms", 100L),
                Map.of("name", "mul", "count", 1, "p50_ms", 7L, "p95_ms", 7L, "max_ms", 7L)), runtimes);
    }
}
