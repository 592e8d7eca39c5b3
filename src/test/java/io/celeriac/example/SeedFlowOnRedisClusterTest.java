package io.celeriac.example;

import static io.celeriac.canvas.Signature.chord;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.canvas.Canvas;
import io.celeriac.canvas.Signature;
import io.celeriac.client.AsyncResult;
import io.celeriac.client.SendOptions;
import io.celeriac.client.TaskFailedException;
import io.celeriac.result.ResultStore;
import io.celeriac.result.TaskResult;
import io.celeriac.testing.Operators;
import io.celeriac.testing.RedisClusterProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * The seed flow with its results on a Redis Cluster of three primaries: every script's keys share one hash slot
 * (CROSSSLOT otherwise), and the views across tasks are written apart from the records.
 */
@QuarkusTest
@TestProfile(RedisClusterProfile.class)
class SeedFlowOnRedisClusterTest extends SeedFlowContract {

    @Inject
    Canvas canvas;

    @Test
    void aChordCountsItsMembersOnTheCluster() {
        // Celery's chord keys lie in three slots; on a cluster they share a tag.
        AsyncResult<Object> total = canvas.apply(chord(
                IntStream.range(0, 10).mapToObj(i -> Signature.of("add", i, i)).toList(), Signature.of("canvas_collect", "cluster-chord")));
        List<?> collected = total.as(List.class).get(Duration.ofSeconds(30));
        assertEquals(IntStream.range(0, 10).map(i -> 2 * i).boxed().toList(), collected);
    }

    @Test
    void aDelayedTaskARevocationAndADeadLetterWorkOnTheCluster() {
        AsyncResult<Integer> later = tasks.send("add", List.of(20, 22), Map.of(),
                SendOptions.none().countdown(Duration.ofSeconds(1)));
        assertEquals(42, later.get(Duration.ofSeconds(30)));
        AsyncResult<Integer> revoked = tasks.send("add", List.of(1, 1), Map.of(),
                SendOptions.none().countdown(Duration.ofSeconds(2)));
        revoked.revoke();
        assertThrows(TaskFailedException.class, () -> revoked.get(Duration.ofSeconds(30)));
        assertEquals("REVOKED", revoked.state());
    }

    @Test
    void theDashboardSeesTasksAcrossTheClusterThroughTheViews() {
        String id = tasks.delay("add", 1, 1).id();
        // The recent ids and the counters live on other shards than the records, written in batches.
        var dashboard = await().atMost(Duration.ofSeconds(15))
                .until(() -> Operators.asViewer().get("/dashboard").jsonPath(),
                        d -> "SUCCESS".equals(d.getString("recent.find { it.id == '" + id + "' }.state")));
        assertTrue(dashboard.getLong("totals.SUCCESS") >= 1, dashboard.getMap("totals").toString());
    }

    @Inject
    ResultStore results;

    @Test
    void manyRecordsReadAtOnceComeBackUnderTheirOwnIds() {
        // Spread over many slots: the cluster client joins a multi-slot MGET's replies in slot order.
        List<String> ids = IntStream.range(0, 40).mapToObj(i -> tasks.<Integer> delay("add", i, 0))
                .peek(sum -> sum.get(Duration.ofSeconds(30))).map(AsyncResult::id).toList();
        List<Optional<TaskResult>> records = results.getAll(ids);
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(ids.get(i), records.get(i).orElseThrow().taskId(), "record " + i);
            assertEquals(i, records.get(i).orElseThrow().result().asInt(), "result of record " + i);
        }
    }

    @Test
    void theAppIsAClientOfAThreePrimaryCluster() {
        assertTrue(redis.execute("CLUSTER", "INFO").toString().contains("cluster_state:ok"), "a cluster client");
        List<AsyncResult<Integer>> sums = IntStream.range(0, 30).mapToObj(i -> tasks.<Integer> delay("add", i, 1))
                .toList();
        for (int i = 0; i < sums.size(); i++) {
            assertEquals(i + 1, sums.get(i).get(Duration.ofSeconds(30)));
        }
        // DBSIZE is summed over the primaries by the client.
        long total = redis.execute("DBSIZE").toLong();
        assertTrue(total >= 30, total + " keys");
        String nodes = redis.execute("CLUSTER", "NODES").toString();
        assertEquals(3, nodes.lines().filter(line -> line.contains("master")).count(), nodes);
    }
}
