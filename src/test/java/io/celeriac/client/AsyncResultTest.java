package io.celeriac.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;

import io.celeriac.testing.BrokerAndRedis;
import io.quarkus.test.junit.QuarkusTest;

/** The handle a send returns, and where sends go. */
@QuarkusTest
class AsyncResultTest {

    @Inject
    TaskClient tasks;

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    @ConfigProperty(name = "celeriac.broker.port")
    int brokerPort;

    @Test
    void getWaitsForTheResultAndTypesItAsTheTaskReturnsIt() {
        AsyncResult<Integer> sum = tasks.delay("add", 2, 3);
        Integer five = sum.get(Duration.ofSeconds(10));
        assertEquals(5, five);
        assertTrue(sum.ready() && sum.successful());
        assertEquals("SUCCESS", tasks.result(sum.id()).state(), "a handle rebuilt from the id reads the same");
    }

    @Test
    void everyWaiterOfATaskSharesOneSubscription() throws Exception {
        AsyncResult<Long> slow = tasks.delay("interop_sleep", 1500L);
        List<CompletableFuture<Long>> waiters = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiters.add(CompletableFuture.supplyAsync(() -> slow.get(Duration.ofSeconds(20))));
        }
        String channel = "celery-task-meta-" + slow.id();
        await().atMost(Duration.ofSeconds(5)).until(() -> !subscribers(channel).equals("0"));
        // Held for half a second while all five wait: a subscription per waiter would show more.
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> subscribers(channel).equals("1"));
        for (CompletableFuture<Long> waiter : waiters) {
            assertEquals(1500L, waiter.get());
        }
    }

    @Test
    void aFailureThrowsWithTheErrorAsStored() {
        AsyncResult<Void> failing = tasks.delay("interop_fail", "no such invoice");
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> failing.get(Duration.ofSeconds(10)));
        assertEquals("IllegalArgumentException", e.excType());
        assertEquals("java.lang", e.excModule());
        assertEquals("FAILURE", e.state());
        assertTrue(e.getMessage().contains("no such invoice"), e.getMessage());
        assertTrue(e.traceback().contains("IllegalArgumentException"), e.traceback());
    }

    @Test
    void aTaskNotReadyInTimeThrowsAndGoesOn() {
        AsyncResult<Long> slow = tasks.delay("interop_sleep", 2000L);
        assertThrows(ResultTimeoutException.class, () -> slow.get(Duration.ofMillis(300)));
        assertEquals(2000L, slow.get(Duration.ofSeconds(10)));
    }

    @Test
    void aRevokedTaskEndsRevokedAndForgetDropsItsRecord() {
        AsyncResult<Integer> later = tasks.send("add", List.of(1, 1), Map.of(),
                SendOptions.none().countdown(Duration.ofSeconds(2)));
        later.revoke();
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> later.get(Duration.ofSeconds(10)));
        assertEquals("REVOKED", e.state());
        assertEquals("TaskRevokedError", e.excType());
        later.forget();
        assertEquals("PENDING", later.state(), "nothing known, as Celery answers for an unknown id");
    }

    @Test
    void aTaskGoesToItsDeclaredQueueWithItsPriority() throws Exception {
        String id = tasks.delay("routed_report", 11).id();
        GetResponse message = takeFrom("reports");
        assertEquals(id, message.getProps().getHeaders().get("id").toString());
        assertEquals(3, message.getProps().getPriority());
    }

    @Test
    void aCallChoosesItsQueueAndPriorityAndConfigRoutesByGlob() throws Exception {
        String id = tasks.send("routed_report", List.of(12), Map.of(), SendOptions.none().queue("urgent").priority(9))
                .id();
        GetResponse message = takeFrom("urgent");
        assertEquals(id, message.getProps().getHeaders().get("id").toString());
        assertEquals(9, message.getProps().getPriority());

        String routed = tasks.delay("routed.by_config").id();
        assertEquals(routed, takeFrom("routed").getProps().getHeaders().get("id").toString());
    }

    @Test
    void waitingForAnIgnoredResultFailsAtOnceInsteadOfTimingOut() {
        AsyncResult<Void> ignored = tasks.delay("noop", 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ignored.get(Duration.ofSeconds(30)));
        assertTrue(e.getMessage().contains("is ignored"), e.getMessage());
    }

    @Test
    void aDelayedTaskThatCannotBeSentDoesNotHoldBackTheOnesDueAfterIt() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(brokerPort);
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            // Declared with other arguments than Celery's: declaring it again as Celery does is refused (406).
            channel.queueDeclare("mismatched", true, false, false, Map.of("x-max-priority", 5));
        }
        tasks.send("add", List.of(1, 1), Map.of(), SendOptions.none().countdown(Duration.ofMillis(500))
                .queue("mismatched"));
        AsyncResult<Integer> behind = tasks.send("add", List.of(2, 2), Map.of(),
                SendOptions.none().countdown(Duration.ofMillis(1500)));
        assertEquals(4, behind.get(Duration.ofSeconds(9)));
    }

    @Test
    void aWorkerConsumesEveryQueueItIsGiven() {
        AsyncResult<Integer> sum = tasks.send("add", List.of(20, 22), Map.of(),
                SendOptions.none().queue("celeriac-second"));
        assertEquals(42, sum.get(Duration.ofSeconds(10)));
    }

    @Test
    void sendTaskSendsATaskThisAppDoesNotDefineWithArgumentsUnchecked() throws Exception {
        String id = tasks.sendTask("elsewhere.anything", List.of("x", 1), Map.of("k", true),
                SendOptions.none().queue("elsewhere")).id();
        GetResponse message = takeFrom("elsewhere");
        assertEquals(id, message.getProps().getHeaders().get("id").toString());
        assertEquals("elsewhere.anything", message.getProps().getHeaders().get("task").toString());
        assertEquals("[[\"x\",1],{\"k\":true},{\"callbacks\":null,\"errbacks\":null,\"chain\":null,\"chord\":null}]",
                new ObjectMapper().readTree(new String(message.getBody(), StandardCharsets.UTF_8)).toString());
    }

    @Test
    void aPriorityOutsideZeroToNineIsRefusedBeforeSending() {
        assertThrows(io.celeriac.message.TaskArgumentException.class,
                () -> tasks.send("add", List.of(1, 1), Map.of(), SendOptions.none().priority(10)));
    }

    private String subscribers(String channel) {
        String reply = BrokerAndRedis.redisCli(servers, "PUBSUB", "NUMSUB", channel);
        return reply.substring(reply.lastIndexOf('\n') + 1).trim();
    }

    private GetResponse takeFrom(String queue) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(brokerPort);
        try (Connection connection = factory.newConnection(); Channel channel = connection.createChannel()) {
            long deadline = System.currentTimeMillis() + 5000;
            while (System.currentTimeMillis() < deadline) {
                GetResponse got = channel.basicGet(queue, true);
                if (got != null) {
                    return got;
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError("nothing arrived in queue " + queue);
    }
}
