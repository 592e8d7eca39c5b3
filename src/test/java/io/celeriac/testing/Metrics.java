package io.celeriac.testing;

import static io.restassured.RestAssured.given;

/** Counters of the app under test, read from its /q/metrics. */
public final class Metrics {

    private Metrics() {
    }

    /** How many messages of {@code task} the worker skipped for {@code reason} (ready, revoked, expired). */
    public static double skipped(String task, String reason) {
        return given().get("/q/metrics").asString().lines()
                .filter(l -> l.startsWith("celeriac_tasks_skipped_total{") && l.contains("reason=\"" + reason + "\"")
                        && l.contains("task=\"" + task + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }
}
