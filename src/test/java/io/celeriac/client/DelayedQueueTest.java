package io.celeriac.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.deadletter.DeadLetters;
import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.redis.datasource.ScanArgs;
import io.quarkus.redis.datasource.sortedset.ScoredValue;
import io.quarkus.redis.datasource.sortedset.ZScanCursor;
import io.quarkus.test.junit.QuarkusTest;

/** The delayed queue in Redis: every send waits as its own entry, and an unreadable one is dead-lettered. */
@QuarkusTest
class DelayedQueueTest {

    @Inject
    DelayedQueue delayed;

    @Inject
    TaskMessageCodec codec;

    @Inject
    DeadLetters deadLetters;

    @Inject
    RedisDataSource redis;

    /** Built through the codec, as a message from the wire is, so it keeps up with TaskMessage's fields. */
    private TaskMessage message(String id, String key) {
        return codec.decode(java.util.Map.of("id", id, "task", "record"), "[[\"" + key + "\"], {}, null]");
    }

    @Test
    void twoDelayedSendsOfOneTaskIdBothWait() {
        String id = UUID.randomUUID().toString();
        long before = delayed.size();
        // Far in the future: this is about what waits, not about what runs.
        Instant eta = Instant.now().plus(Duration.ofHours(1));
        try {
            delayed.add(message(id, "first"), eta);
            delayed.add(message(id, "second"), eta.plusSeconds(60));
            assertEquals(2, delayed.waiting(id), "the second send did not replace the first");
            assertEquals(before + 2, delayed.size());
        } finally {
            for (String entry : entriesOf(id)) {
                redis.sortedSet(String.class).zrem(DelayedQueue.INDEX, entry);
                redis.hash(String.class).hdel(DelayedQueue.MESSAGES, entry);
            }
        }
        assertEquals(0, delayed.waiting(id));
    }

    @Test
    void aMalformedDelayedBodyIsDeadLetteredNotDropped() {
        String id = UUID.randomUUID().toString();
        String body = "{\"id\": \"" + id + "\", \"task\": \"record\", \"args\": \"not an array\"}";
        String entry = DelayedQueue.entryId(id);
        redis.hash(String.class).hset(DelayedQueue.MESSAGES, entry, body);
        redis.sortedSet(String.class).zadd(DelayedQueue.INDEX, System.currentTimeMillis() - 1000, entry);

        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> deadLetters.list(100).stream().anyMatch(l -> id.equals(l.taskId())
                        && l.reason().startsWith("malformed delayed message") && body.equals(l.body())));
        assertTrue(redis.sortedSet(String.class).zscore(DelayedQueue.INDEX, entry).isEmpty(), "the entry is gone");
        assertNull(redis.hash(String.class).hget(DelayedQueue.MESSAGES, entry), "its body is gone");
        assertEquals(0, delayed.waiting(id));
    }

    private List<String> entriesOf(String taskId) {
        List<String> entries = new ArrayList<>();
        ZScanCursor<String> cursor = redis.sortedSet(String.class).zscan(DelayedQueue.INDEX,
                new ScanArgs().match(taskId + ":*"));
        while (cursor.hasNext()) {
            for (ScoredValue<String> entry : cursor.next()) {
                entries.add(entry.value());
            }
        }
        return entries;
    }
}
