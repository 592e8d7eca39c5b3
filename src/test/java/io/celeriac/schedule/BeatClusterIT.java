package io.celeriac.schedule;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.AppProcess;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.Operators;
import io.celeriac.testing.Postgres;
import io.celeriac.testing.Settings;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * Two beat instances (separate processes of the packaged jar) on one Redis and broker, an entry every second, and
 * the leader killed with SIGKILL half-way: each tick must be sent once, none twice, none lost.
 */
@QuarkusIntegrationTest
@QuarkusTestResource(value = Postgres.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = Operators.InProduction.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = Settings.class, restrictToAnnotatedClass = true, initArgs = {
        @ResourceArg(name = "celeriac.roles", value = "api,worker"),
        @ResourceArg(name = "celeriac.beat.schedule.tick.task", value = "add"),
        @ResourceArg(name = "celeriac.beat.schedule.tick.args", value = "[1, 1]"),
        @ResourceArg(name = "celeriac.beat.schedule.tick.every", value = "1s") })
class BeatClusterIT {

    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Pattern SENT = Pattern.compile("beat sent tick tick (\\S+) as (\\S+)");

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Postgres.Settings
    Map<String, String> database;

    private AppProcess beat(String name) throws Exception {
        Map<String, String> settings = new HashMap<>(servers);
        settings.putAll(database);
        settings.put("celeriac.roles", "beat");
        settings.put("celeriac.beat.lease", LEASE.toSeconds() + "s");
        settings.put("celeriac.beat.schedule.tick.task", "add");
        settings.put("celeriac.beat.schedule.tick.args", "[1, 1]");
        settings.put("celeriac.beat.schedule.tick.every", "1s");
        return AppProcess.start(name, settings);
    }

    private static String leader() {
        return Operators.asViewer().get("/beat").then().statusCode(200).extract().jsonPath().getString("leader");
    }

    @Test
    void eachTickIsSentOnceAcrossInstancesAndALeaderKill() throws Exception {
        List<AppProcess> beats = new ArrayList<>(List.of(beat("beat-a"), beat("beat-b")));
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> leader() != null);
            Thread.sleep(12_000);
            AppProcess leader = beats.stream().filter(b -> leader().startsWith(b.pid() + "@")).findFirst()
                    .orElseThrow(() -> new AssertionError("leader " + leader() + " is none of the beat processes"));
            AppProcess follower = beats.get(beats.get(0) == leader ? 1 : 0);
            leader.kill();
            Instant killed = Instant.now();
            await().atMost(LEASE.multipliedBy(2).plusSeconds(1)).pollInterval(Duration.ofMillis(100))
                    .until(() -> String.valueOf(leader()).startsWith(follower.pid() + "@"));
            long takeoverMs = Duration.between(killed, Instant.now()).toMillis();
            Thread.sleep(15_000);

            Map<Instant, Integer> sends = new TreeMap<>();
            List<String> ids = new ArrayList<>();
            for (AppProcess beat : beats) {
                Matcher m = SENT.matcher(Files.readString(beat.log()));
                while (m.find()) {
                    sends.merge(Instant.parse(m.group(1)), 1, Integer::sum);
                    ids.add(m.group(2));
                }
            }
            Instant first = sends.keySet().iterator().next();
            Instant last = ((TreeMap<Instant, Integer>) sends).lastKey();
            long expected = Duration.between(first, last).toSeconds() + 1;
            long duplicates = sends.values().stream().mapToInt(n -> n - 1).sum();
            long missed = expected - sends.size();
            System.out.printf("beat cluster: expected_ticks=%d sent=%d duplicates=%d missed=%d takeover_ms=%d%n",
                    expected, ids.size(), duplicates, missed, takeoverMs);
            assertTrue(expected >= 25, "the run covered " + expected + " ticks");
            assertEquals(0, duplicates, "ticks sent twice: " + sends);
            assertEquals(0, missed, "ticks never sent: " + sends.keySet());

            // Every sent tick also ran.
            await().atMost(Duration.ofSeconds(20)).until(() -> ids.stream().allMatch(id -> given()
                    .get("/tasks/result/{id}", id).then().extract().jsonPath().getBoolean("successful")));
        } finally {
            for (AppProcess beat : beats) {
                beat.close();
            }
        }
    }
}
