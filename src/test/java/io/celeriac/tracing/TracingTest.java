package io.celeriac.tracing;

import static io.celeriac.canvas.Signature.chain;
import static io.celeriac.canvas.Signature.of;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.celeriac.canvas.Canvas;
import io.celeriac.client.AsyncResult;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** One trace from the HTTP request through the broker and the worker to the stored result, over the real servers. */
@QuarkusTest
@TestProfile(TracingProfile.class)
class TracingTest {

    private static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    private static final AttributeKey<Long> RETRIES = AttributeKey.longKey("celery.task.retries");

    @Inject
    InMemorySpanExporter spans;

    @Inject
    Canvas canvas;

    @BeforeEach
    void forgetEarlierSpans() {
        spans.reset();
    }

    @Test
    void aRequestsTraceRunsThroughTheSendTheDeliveryTheRunAndTheResultWrite() {
        String id = given().formParam("a", 2).formParam("b", 3).post("/tasks/add").then().statusCode(200)
                .extract().path("result_id");
        await().atMost(Duration.ofSeconds(15)).until(() -> Boolean.TRUE.equals(
                given().get("/tasks/result/" + id).then().extract().path("ready")));

        SpanData send = awaitSpan(s -> s.getKind() == SpanKind.PRODUCER && id.equals(s.getAttributes()
                .get(MESSAGE_ID)));
        String trace = send.getTraceId();
        SpanData request = awaitSpan(s -> s.getKind() == SpanKind.SERVER && s.getTraceId().equals(trace));
        assertTrue(request.getName().contains("/tasks/add"), request.getName());
        assertEquals(request.getSpanId(), send.getParentSpanId(), "the send is part of the request");
        assertEquals("send add", send.getName());

        SpanData process = awaitSpan(s -> s.getKind() == SpanKind.CONSUMER && id.equals(s.getAttributes()
                .get(MESSAGE_ID)));
        assertEquals(trace, process.getTraceId(), "the worker continues the sender's trace, read from the message");
        assertEquals(send.getSpanId(), process.getParentSpanId());
        assertEquals("process add", process.getName());
        assertEquals("ACK", process.getAttributes().get(AttributeKey.stringKey("celeriac.settle")));

        SpanData run = awaitSpan(s -> s.getName().equals("run add") && s.getTraceId().equals(trace));
        assertEquals(process.getSpanId(), run.getParentSpanId());
        SpanData store = awaitSpan(s -> s.getName().equals("store outcome") && s.getTraceId().equals(trace));
        assertEquals(process.getSpanId(), store.getParentSpanId());
        assertTrue(store.getAttributes().get(AttributeKey.stringKey("celeriac.write")).contains(id));
    }

    @Test
    void retriesAndTheNextLinkOfAChainJoinTheTraceOfTheFirstSend() {
        String key = UUID.randomUUID().toString();
        // Fails twice with an IOException, retried each time, then its result goes to mul.
        AsyncResult<Object> last = canvas.apply(chain(of("canvas_flaky", 7, key, 2), of("mul", 6)));
        assertEquals(42, ((Number) last.get(Duration.ofSeconds(30))).intValue());

        SpanData mul = awaitSpan(s -> s.getName().equals("process mul") && last.id().equals(s.getAttributes()
                .get(MESSAGE_ID)));
        String trace = mul.getTraceId();
        List<SpanData> attempts = await().atMost(Duration.ofSeconds(10)).until(
                () -> spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("process canvas_flaky"))
                        .toList(), found -> found.size() == 3);
        for (SpanData attempt : attempts) {
            assertEquals(trace, attempt.getTraceId(), "attempt " + attempt.getAttributes().get(RETRIES)
                    + " is in the trace of the chain's send");
        }
        assertEquals(List.of(0L, 1L, 2L), attempts.stream().map(s -> s.getAttributes().get(RETRIES)).sorted()
                .toList());
        SpanData first = attempts.stream().filter(s -> s.getAttributes().get(RETRIES) == 0L).findFirst()
                .orElseThrow();
        SpanData chainSend = spans.getFinishedSpanItems().stream().filter(s -> s.getSpanId().equals(first
                .getParentSpanId())).findFirst().orElseThrow();
        assertEquals(SpanKind.PRODUCER, chainSend.getKind());
        assertEquals(Optional.empty(), Optional.of(chainSend.getParentSpanContext()).filter(p -> p.isValid()),
                "the test sent the chain from outside any trace, so its send starts the trace");
    }

    @Test
    void aTaskSentInsideATransactionKeepsTheRequestsTraceThroughTheOutbox() {
        String email = "traced-" + UUID.randomUUID() + "@example.org";
        String id = given().formParam("name", "Traced").formParam("email", email).post("/users").then()
                .statusCode(200).extract().path("result_id");
        SpanData send = awaitSpan(s -> s.getKind() == SpanKind.PRODUCER && id.equals(s.getAttributes()
                .get(MESSAGE_ID)));
        SpanData process = awaitSpan(s -> s.getKind() == SpanKind.CONSUMER && id.equals(s.getAttributes()
                .get(MESSAGE_ID)));
        assertEquals(send.getSpanId(), process.getParentSpanId(), "published after the commit, from the row");
        SpanData request = awaitSpan(s -> s.getSpanId().equals(send.getParentSpanId()));
        assertEquals(SpanKind.SERVER, request.getKind());
    }

    private SpanData awaitSpan(Predicate<SpanData> wanted) {
        return await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(
                () -> spans.getFinishedSpanItems().stream().filter(wanted).findFirst(), Optional::isPresent)
                .orElseThrow();
    }
}
