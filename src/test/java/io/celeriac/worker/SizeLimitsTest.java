package io.celeriac.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.canvas.Canvas;
import io.celeriac.canvas.Signature;
import io.celeriac.client.AsyncResult;
import io.celeriac.client.SendOptions;
import io.celeriac.client.SendErrorMapping;
import io.celeriac.client.TaskClient;
import io.celeriac.client.TaskFailedException;
import io.celeriac.message.TaskTooLargeException;
import io.quarkus.test.junit.QuarkusTest;

/** celeriac.task-max-args-size and celeriac.result-max-size (1 MiB each by default). */
@QuarkusTest
class SizeLimitsTest {

    @Inject
    TaskClient tasks;

    @Inject
    Canvas canvas;

    @Test
    void argumentsOverTheLimitFailTheSendAndNothingIsRecordedOrQueued() {
        String id = "too-large-" + System.nanoTime();
        TaskTooLargeException e = assertThrows(TaskTooLargeException.class, () -> tasks.send("interop_fail",
                List.of("x".repeat(1_100_000)), Map.of(), SendOptions.none().taskId(id)));
        assertTrue(e.getMessage().contains("celeriac.task-max-args-size"), e.getMessage());
        assertEquals("PENDING", tasks.result(id).state(), "no record: nothing was sent");
        assertTrue(tasks.result(id).snapshot().isEmpty());
        assertEquals(413, new SendErrorMapping().tooLarge(e).getStatus());
    }

    @Test
    void aChordBodyWhoseResultsWouldPassTheLimitFailsInsteadOfLooping() {
        // Each member's result is under the limit; the body would get all three.
        AsyncResult<Object> body = canvas.apply(Signature.chord(List.of(Signature.of("big_text", 400_000),
                Signature.of("big_text", 400_000), Signature.of("big_text", 400_000)), Signature.of("xsum")));
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> body.get(Duration.ofSeconds(15)));
        assertTrue(e.getMessage().contains("celeriac.task-max-args-size"), e.getMessage());
    }

    @Test
    void argumentsUnderTheLimitStillTravel() {
        AsyncResult<String> echo = tasks.delay("big_text", 1000);
        assertEquals(1000, echo.get(Duration.ofSeconds(10)).length());
    }

    @Test
    void aResultOverTheLimitEndsTheTaskAsFailureInsteadOfFillingRedis() {
        AsyncResult<String> text = tasks.delay("big_text", 1_100_000);
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> text.get(Duration.ofSeconds(15)));
        assertEquals("ResultNotStorable", e.excType());
        assertTrue(e.getMessage().contains("result too large"), e.getMessage());

        AsyncResult<List<String>> list = tasks.delay("big_list", 100_000);
        TaskFailedException listed = assertThrows(TaskFailedException.class, () -> list.get(Duration.ofSeconds(15)));
        assertTrue(listed.getMessage().contains("result too large"), listed.getMessage());
    }
}
