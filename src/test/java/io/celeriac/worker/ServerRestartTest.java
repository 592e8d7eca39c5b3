package io.celeriac.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.client.TaskClient;
import io.celeriac.client.TaskSendUncertainException;
import io.celeriac.testing.BrokerAndRedis;
import io.quarkus.test.junit.QuarkusTest;

/** {@link ServerRestartContract} over AMQP 0-9-1, the default connector. */
@QuarkusTest
class ServerRestartTest extends ServerRestartContract {

    @Inject
    TaskClient tasks;

    @Test
    void aSendLostWithTheBrokerThatHadItOnTheWireIsSentAgainUnderItsId() throws Exception {
        // The sender's channels (one per lane, taken in turn) are open before the broker freezes...
        for (int i = 0; i < 4; i++) {
            assertEquals(3, sum(tasks.delay("add", 1, 2).id()));
        }
        // ...and, frozen, the broker reads nothing: the message waits in the connection when the broker dies.
        BrokerAndRedis.freezeRabbitmq(servers, true);
        String id;
        try {
            CompletableFuture<String> sending = CompletableFuture.supplyAsync(() -> tasks.delay("add", 40, 2).id());
            Thread.sleep(1000);
            BrokerAndRedis.rabbitmq(servers, "kill");
            ExecutionException failed = assertThrows(sending);
            TaskSendUncertainException uncertain = assertInstanceOf(TaskSendUncertainException.class,
                    failed.getCause(), () -> String.valueOf(failed.getCause()));
            id = uncertain.taskId();
        } finally {
            BrokerAndRedis.rabbitmq(servers, "start");
        }
        assertEquals(42, sum(id), "sent again once a broker could take it");
    }

    private static ExecutionException assertThrows(CompletableFuture<String> sending) {
        return org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> sending.get(10, TimeUnit.SECONDS));
    }
}
