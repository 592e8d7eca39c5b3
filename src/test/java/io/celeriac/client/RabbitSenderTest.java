package io.celeriac.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.celeriac.result.ResultStore;
import io.celeriac.result.TaskResult;
import io.celeriac.testing.BrokerAndRedis;
import io.celeriac.testing.LocalServer;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The AMQP 0-9-1 sender: a send succeeds only once the broker has the message in a queue, fails fast otherwise, and
 * keeps up with many concurrent senders (the SmallRye RabbitMQ emitter answered most of them with SRMSG00034).
 */
@QuarkusTest
class RabbitSenderTest {

    @Inject
    RabbitSender sender;

    @Inject
    TaskClient tasks;

    @Inject
    ResultStore results;

    @BrokerAndRedis.Settings
    Map<String, String> servers;

    private static final AMQP.BasicProperties PERSISTENT = new AMQP.BasicProperties.Builder().deliveryMode(2)
            .build();

    private static byte[] body() {
        return "{}".getBytes(StandardCharsets.UTF_8);
    }

    private static AMQP.BasicProperties withId(String id) {
        return PERSISTENT.builder().messageId(id).build();
    }

    @Test
    void aMessageNoQueueWouldTakeFailsItsSendInsteadOfVanishing() throws Exception {
        try (Connection connection = connect()) {
            Channel channel = connection.createChannel();
            channel.exchangeDeclare("celeriac-test-unbound", "direct", false, true, Map.of());
            String id = UUID.randomUUID().toString();
            var sent = sender.send("celeriac-test-unbound", "nowhere", id, withId(id), body());
            ExecutionException failed = assertThrows(ExecutionException.class, () -> sent.get(5, TimeUnit.SECONDS));
            assertTrue(failed.getCause().getMessage().contains("could not route"), failed.getCause().getMessage());
        }
    }

    @Test
    void aMessageToAMissingExchangeFailsFastAndTheNextSendsStillGoThrough() throws Exception {
        String id = UUID.randomUUID().toString();
        var sent = sender.send("celeriac-test-missing", "celery", id, withId(id), body());
        ExecutionException failed = assertThrows(ExecutionException.class, () -> sent.get(5, TimeUnit.SECONDS));
        assertTrue(failed.getCause().getMessage().contains("NOT_FOUND"), failed.getCause().getMessage());
        // Every lane: the closed channel is replaced on its next send.
        for (int i = 0; i < 8; i++) {
            assertEquals(42, sum(tasks.delay("add", 40, 2).id()));
        }
    }

    @Test
    void aChannelTheBrokerNackedOnIsNotUsedAgain() throws Exception {
        try (Connection connection = connect()) {
            Channel channel = connection.createChannel();
            // Full from the start: the broker nacks every message for it.
            channel.queueDeclare("celeriac-test-full", false, false, true,
                    Map.of("x-max-length", 0, "x-overflow", "reject-publish"));
            for (int i = 0; i < 16; i++) {
                String id = UUID.randomUUID().toString();
                var sent = sender.send("", "celeriac-test-full", id, withId(id), body());
                ExecutionException failed = assertThrows(ExecutionException.class,
                        () -> sent.get(5, TimeUnit.SECONDS));
                assertTrue(failed.getCause().getMessage().contains("nack"), failed.getCause().getMessage());
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> senderChannels() == 0);
            assertEquals(42, sum(tasks.delay("add", 40, 2).id()), "a fresh channel carries the next send");
        }
    }

    /** The channels the broker has open on the sender's connection. */
    private long senderChannels() throws Exception {
        String connections = ctl("list_connections", "name", "client_properties");
        String name = connections.lines().filter(line -> line.contains("celeriac-sender"))
                .map(line -> line.split("\t")[0]).findFirst().orElseThrow();
        return ctl("list_channels", "name").lines().filter(line -> line.startsWith(name + " (")).count();
    }

    private String ctl(String... args) {
        List<Object> line = new ArrayList<>(List.of("ctl", servers.get(BrokerAndRedis.RABBITMQ_DIR)));
        line.addAll(List.of(args));
        return LocalServer.output("rabbitmq.sh", line.toArray());
    }

    @Test
    void manyConcurrentSendersAreAllConfirmedAndEveryTaskRuns() throws Exception {
        int senders = 32;
        int each = 40;
        Set<String> ids = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                int base = s * each;
                running.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        ids.add(tasks.delay("add", base + i, 1).id());
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(senders * each, ids.size());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(
                () -> ids.stream().allMatch(id -> results.get(id).filter(TaskResult::successful).isPresent()));
    }

    @Test
    void aSendWithAnOverlongIdFailsAloneAndOthersOnTheLaneAreConfirmed() throws Exception {
        try (Connection connection = connect()) {
            Channel channel = connection.createChannel();
            // A queue of its own, reached through the default exchange: routable, and no worker consumes "{}".
            String queue = "celeriac-test-overlong-" + UUID.randomUUID();
            channel.queueDeclare(queue, false, false, false, Map.of());
            try {
                int senders = 8;
                int each = 100;
                // A message id is an AMQP short string, at most 255 bytes: the client cannot encode this one.
                String overlongId = "x".repeat(300);
                Queue<CompletableFuture<Void>> normal = new ConcurrentLinkedQueue<>();
                AtomicReference<CompletableFuture<Void>> overlong = new AtomicReference<>();
                CountDownLatch start = new CountDownLatch(1);
                ExecutorService pool = Executors.newFixedThreadPool(senders);
                try {
                    List<Future<?>> running = new ArrayList<>();
                    for (int s = 0; s < senders; s++) {
                        boolean sendsTheOverlongOne = s == 0;
                        running.add(pool.submit(() -> {
                            start.await();
                            for (int i = 0; i < each; i++) {
                                // Sent midway, without waiting on the others: every lane has sends awaiting confirms.
                                if (sendsTheOverlongOne && i == each / 2) {
                                    overlong.set(sender.send("", queue, overlongId, withId(overlongId), body()));
                                }
                                String id = UUID.randomUUID().toString();
                                normal.add(sender.send("", queue, id, withId(id), body()));
                            }
                            return null;
                        }));
                    }
                    start.countDown();
                    for (Future<?> f : running) {
                        f.get(60, TimeUnit.SECONDS);
                    }
                } finally {
                    pool.shutdownNow();
                }

                ExecutionException failed = assertThrows(ExecutionException.class,
                        () -> overlong.get().get(10, TimeUnit.SECONDS));
                // Not sent at all: a plain IOException, not a "maybe published".
                assertInstanceOf(IOException.class, failed.getCause());
                assertFalse(failed.getCause() instanceof MaybePublished, failed.getCause().toString());

                List<Throwable> others = new ArrayList<>();
                for (CompletableFuture<Void> sent : normal) {
                    try {
                        sent.get(30, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        others.add(e.getCause());
                    }
                }
                assertTrue(others.isEmpty(), others.size() + " other sends failed, the first with " + others.stream()
                        .findFirst().map(Throwable::toString).orElse(""));
                assertEquals(senders * each, normal.size());
                assertEquals(senders * each, channel.queueDeclarePassive(queue).getMessageCount());
            } finally {
                channel.queueDelete(queue);
            }
        }
    }

    private int sum(String id) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> results.get(id).filter(TaskResult::successful), r -> r.isPresent())
                .get().result().asInt();
    }

    private Connection connect() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(Integer.parseInt(servers.get("celeriac.broker.port")));
        return factory.newConnection();
    }
}
