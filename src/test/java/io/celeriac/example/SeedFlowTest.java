package io.celeriac.example;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.client.AsyncResult;
import io.quarkus.test.junit.QuarkusTest;

/** The seed flow over AMQP 0-9-1 (the default connector), on H2. */
@QuarkusTest
class SeedFlowTest extends SeedFlowContract {

    /**
     * Over AMQP 0-9-1 only: the AMQP 1.0 connector grants the broker credit itself, whatever the worker can run, so
     * there the backlog moves into the busy worker (see the README's "Choosing the connector").
     */
    @Test
    void aBusyWorkerLeavesTheBacklogInTheBrokerForOtherWorkers() throws Exception {
        ConcurrencyTasks.MOST.set(0);
        int backlog = 6 * concurrency;
        List<AsyncResult<Integer>> sent = IntStream.range(0, backlog)
                .mapToObj(i -> tasks.<Integer> delay("overlap_probe", 1500L)).toList();
        await().atMost(Duration.ofSeconds(10)).until(() -> ConcurrencyTasks.MOST.get() == concurrency);
        ConnectionFactory factory = new ConnectionFactory();
        factory.setPort(brokerPort);
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            long ready = channel.queueDeclarePassive("celery").getMessageCount();
            // Those running and those prefetched for them are out of the queue; the rest of the backlog is not.
            assertTrue(ready >= backlog - 3L * concurrency, ready + " of " + backlog + " left in the queue while "
                    + concurrency + " run");
        }
        for (AsyncResult<Integer> probe : sent) {
            probe.get(Duration.ofSeconds(60));
        }
    }
}
