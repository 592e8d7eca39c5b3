package io.celeriac.tools;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import io.vertx.amqp.AmqpClient;
import io.vertx.amqp.AmqpClientOptions;
import io.vertx.amqp.AmqpConnection;
import io.vertx.amqp.AmqpMessage;
import io.vertx.amqp.AmqpReceiver;
import io.vertx.amqp.AmqpReceiverOptions;
import io.vertx.amqp.AmqpSender;
import io.vertx.core.Vertx;

/**
 * The AMQP 1.0 ceiling: a plain producer and consumer with vertx-amqp-client (what SmallRye's AMQP connector uses),
 * durable messages confirmed by the broker, explicit accepts, on a pre-declared durable queue.
 */
final class RawAmqp10 {

    private RawAmqp10() {
    }

    /** Messages per second, or 0 when delivery stalled (nothing received for {@value Bench#STALL_SECONDS} s). */
    static double rate(int port, int count) throws Exception {
        String queue = "bench.raw10";
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(port);
        try (Connection admin = factory.newConnection()) {
            admin.createChannel().queueDeclare(queue, true, false, false, Map.of());
        }
        Vertx vertx = Vertx.vertx();
        try {
            AmqpClient client = AmqpClient.create(vertx, new AmqpClientOptions().setHost("127.0.0.1").setPort(port)
                    .setUsername("guest").setPassword("guest"));
            AmqpConnection connection = client.connect().toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            String address = "/amq/queue/" + queue;
            CountDownLatch received = new CountDownLatch(count);
            AmqpReceiver receiver = connection.createReceiver(address, new AmqpReceiverOptions()
                    .setAutoAcknowledgement(false)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            receiver.handler(message -> {
                message.accepted();
                received.countDown();
            });
            AmqpSender sender = connection.createSender(address).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            Semaphore inFlight = new Semaphore(500);
            String body = "{\"id\":\"raw\",\"task\":\"add\",\"args\":[1,1],\"kwargs\":{},\"retries\":0,"
                    + "\"root_id\":\"raw\",\"ignore_result\":false,\"origin\":\"bench\"}";
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                if (!inFlight.tryAcquire(Bench.STALL_SECONDS, TimeUnit.SECONDS)) {
                    System.out.println("[bench] stall: AMQP 1.0 sends unconfirmed for " + Bench.STALL_SECONDS + " s");
                    return 0;
                }
                sender.sendWithAck(AmqpMessage.create().durable(true).contentType("application/json")
                        .withBody(body).build()).onComplete(done -> inFlight.release());
            }
            long last = -1;
            long lastMove = System.nanoTime();
            while (received.getCount() > 0) {
                long now = received.getCount();
                if (now != last) {
                    last = now;
                    lastMove = System.nanoTime();
                } else if (System.nanoTime() - lastMove > Bench.STALL_SECONDS * 1_000_000_000L) {
                    System.out.println("[bench] stall: AMQP 1.0 delivery stuck with " + now + " of " + count
                            + " outstanding");
                    return 0;
                }
                Thread.sleep(100);
            }
            double rate = count / ((System.nanoTime() - start) / 1e9);
            connection.close();
            return rate;
        } finally {
            vertx.close();
            try (Connection admin = factory.newConnection()) {
                admin.createChannel().queueDelete(queue);
            }
        }
    }
}
