package io.celeriac.example;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.queue.Queues;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.LocalServer;
import io.celeriac.testing.RabbitCluster;
import io.celeriac.testing.RabbitClusterProfile;
import io.celeriac.testing.RawMessages;
import io.celeriac.worker.ReliabilityTasks;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/**
 * The seed flow on a two-node RabbitMQ cluster whose task queue is a quorum queue, the app given the nodes as
 * {@code celeriac.broker.addresses} after one that is down.
 */
@QuarkusTest
@TestProfile(RabbitClusterProfile.class)
class SeedFlowOnRabbitClusterTest extends SeedFlowContract {

    @RabbitCluster.Nodes
    Map<String, String> nodes;

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @Inject
    Queues queues;

    @Inject
    ReliabilityTasks reliability;

    @Test
    void theAppDeclaresTheQueuesAsTheDefinitionsFileDoesAQuorumQueueOnEveryNode() throws Exception {
        // A declaration with other arguments than the definitions' would fail with PRECONDITION_FAILED.
        queues.declare();
        String listed = ctl("list_queues", "name", "type", "members");
        assertTrue(listed.lines().anyMatch(line -> line.startsWith("celery\tquorum\t") && line.contains(
                nodes.get("celeriac.broker.port")) && line.split(",").length == 2), listed);
    }

    @Test
    void aRedisOutageDoesNotDeadLetterWorkThatAQuorumQueueCountsDeliveriesOf() throws Exception {
        // The broker dead-letters a message returned more than once: a worker handing its messages back while
        // Redis is away would lose them to celery.dead.
        RabbitCluster.ctl(nodes, "set_policy", "--apply-to", "queues", "celeriac-dead-letters", "^celery$",
                "{\"dead-letter-exchange\": \"\", \"dead-letter-routing-key\": \"celery.dead\", \"delivery-limit\": 1}");
        List<String> keys = new ArrayList<>();
        try {
            BrokerAndRedis.redis(servers, "stop");
            try {
                for (int i = 0; i < 5; i++) {
                    String key = UUID.randomUUID().toString();
                    keys.add(key);
                    RawMessages.publish(brokerPort, "{\"id\": \"" + UUID.randomUUID()
                            + "\", \"task\": \"counted_ignored\", \"args\": [\"" + key + "\", 0]}");
                }
                // Long enough for several tries at each.
                Thread.sleep(6000);
            } finally {
                BrokerAndRedis.redis(servers, "start");
            }
            await().atMost(Duration.ofSeconds(40))
                    .until(() -> keys.stream().allMatch(k -> reliability.attempts(k) == 1));
            assertEquals(0, deadQueueDepth(), "work went to the dead-letter queue while Redis was away");
        } finally {
            RabbitCluster.ctl(nodes, "set_policy", "--apply-to", "queues", "celeriac-dead-letters", "^celery$",
                    "{\"dead-letter-exchange\": \"\", \"dead-letter-routing-key\": \"celery.dead\", "
                            + "\"delivery-limit\": 50}");
        }
    }

    private long deadQueueDepth() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setPort(brokerPort);
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            return channel.queueDeclarePassive("celery.dead").getMessageCount();
        }
    }

    private String ctl(String... args) {
        List<Object> line = new ArrayList<>(List.of("ctl", nodes.get(RabbitCluster.FIRST_NODE_DIR)));
        line.addAll(List.of(args));
        return LocalServer.output("rabbitmq.sh", line.toArray());
    }
}
