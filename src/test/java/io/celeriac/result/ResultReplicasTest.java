package io.celeriac.result;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.client.AsyncResult;
import io.celeriac.client.TaskClient;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.LocalServer;
import io.celeriac.testing.ReplicaAndGraceProfile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * With {@code celeriac.result-replicas=1}, a worker acknowledges a task only once a Redis replica holds its outcome:
 * a fail-over to that replica cannot lose it. Without a replica the outcome counts as not stored, and the worker
 * holds the message and tries again until one is there.
 */
@QuarkusTest
@TestProfile(ReplicaAndGraceProfile.class)
class ResultReplicasTest {

    @Inject
    TaskClient tasks;

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Test
    void aTaskIsAcknowledgedOnlyOnceAReplicaHoldsItsOutcome() throws Exception {
        AsyncResult<Integer> sum = tasks.delay("add", 2, 3);
        // The primary has the SUCCESS, but no replica does: the message stays unacknowledged, so a fail-over that
        // lost the record would still have the task to run again.
        await().atMost(Duration.ofSeconds(10)).until(() -> "SUCCESS".equals(sum.state()));
        Thread.sleep(1000);
        assertEquals(1, unacknowledged(), "acknowledged while no replica had its outcome");
        Path replicaDir = Files.createTempDirectory("redis-replica");
        int replicaPort = LocalServer.freePort();
        LocalServer.run("redis.sh", "start", replicaDir, replicaPort,
                "--replica-of=" + servers.get(BrokerAndRedis.REDIS_PORT));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> unacknowledged() == 0);
            String onReplica = BrokerAndRedis.redisCli(replicaPort, "GET", "celery-task-meta-" + sum.id());
            assertTrue(onReplica.contains("\"SUCCESS\""), onReplica);
        } finally {
            LocalServer.run("redis.sh", "stop", replicaDir);
        }
    }

    private long unacknowledged() {
        return LocalServer.output("rabbitmq.sh", "ctl", servers.get(BrokerAndRedis.RABBITMQ_DIR), "list_queues",
                "name", "messages_unacknowledged").lines().filter(line -> line.startsWith("celery\t"))
                .mapToLong(line -> Long.parseLong(line.split("\t")[1].trim())).sum();
    }
}
