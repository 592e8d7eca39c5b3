package io.celeriac.worker;

import com.rabbitmq.client.AMQP;

/** What a delivery of {@link QueueConsumers} carries besides its body: its queue, redelivery flag and properties. */
record QueueDelivery(String queue, boolean redelivered, AMQP.BasicProperties properties) {
}
