package io.celeriac.tracing;

import java.util.HashMap;
import java.util.Map;

import jakarta.inject.Singleton;

import io.celeriac.message.TaskMessage;
import io.celeriac.message.TaskMessageCodec;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;

/**
 * A task's trace, from the request that sends it to its stored outcome: a producer span for each send, whose W3C
 * context travels in the message ({@code traceparent}), then on the worker a consumer span for the delivery, a span
 * for the task's run and one for each outcome write. What a task sends while it runs or as it ends (a retry, the next
 * link of a chain, a chord's body) is sent from inside those spans, so it joins the same trace. The header is W3C
 * whatever propagators the application configures: it is part of the message format, read by other Celeriac
 * processes and by Python's OpenTelemetry instrumentation of Celery.
 */
@Singleton
public class TaskTracing {

    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<Map<String, String>> FROM_MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    /** No spans: for code built outside CDI (unit tests of pure logic). */
    public static final TaskTracing NONE = new TaskTracing(OpenTelemetry.noop());

    private final Tracer tracer;

    public TaskTracing(OpenTelemetry telemetry) {
        this.tracer = telemetry.getTracer("io.celeriac");
    }

    /** The producer span of a send of {@code count} task messages, led by {@code task}; current until closed. */
    public Traced sending(String task, String queue, int count) {
        Span span = tracer.spanBuilder("send " + task).setSpanKind(SpanKind.PRODUCER)
                .setAttribute("messaging.system", "rabbitmq").setAttribute("messaging.operation.type", "send")
                .setAttribute("messaging.destination.name", queue == null ? "" : queue)
                .setAttribute("messaging.batch.message_count", (long) count).startSpan();
        return new Traced(span);
    }

    /** {@code message} stamped with the current trace context, to be sent from it; unchanged outside any trace. */
    public TaskMessage stamp(TaskMessage message) {
        String traceparent = traceparent();
        return traceparent == null ? message : message.traced(traceparent);
    }

    /** The current span's W3C context; null when there is none. */
    public static String traceparent() {
        if (!Span.current().getSpanContext().isValid()) {
            return null;
        }
        Map<String, String> carrier = new HashMap<>(2);
        W3C.inject(Context.current(), carrier, Map::put);
        return carrier.get(TaskMessageCodec.TRACEPARENT);
    }

    /** The current trace's id; null outside any trace. */
    public static String traceId() {
        SpanContext context = Span.current().getSpanContext();
        return context.isValid() ? context.getTraceId() : null;
    }

    /**
     * The consumer span of one delivery of {@code message} from {@code queue}: a child of the sender's span when the
     * message carries its context, else the root of a trace of its own (a Python client without tracing).
     */
    public Traced receiving(TaskMessage message, String queue) {
        Context parent = Context.root();
        if (message.traceparent() != null) {
            parent = W3C.extract(Context.root(), Map.of(TaskMessageCodec.TRACEPARENT, message.traceparent()),
                    FROM_MAP);
        }
        Span span = tracer.spanBuilder("process " + message.task()).setParent(parent)
                .setSpanKind(SpanKind.CONSUMER).setAttribute("messaging.system", "rabbitmq")
                .setAttribute("messaging.operation.type", "process")
                .setAttribute("messaging.destination.name", queue == null ? "" : queue)
                .setAttribute("messaging.message.id", message.id()).setAttribute("celery.task.name", message.task())
                .setAttribute("celery.task.retries", (long) message.retries()).startSpan();
        return new Traced(span);
    }

    /** The span of the task's own code, a child of the current one. */
    public Traced running(TaskMessage message) {
        return new Traced(tracer.spanBuilder("run " + message.task()).setAttribute("celery.task.id", message.id())
                .startSpan());
    }

    /** The span of one outcome write ({@code what}: "the outcome of add[id]" and the like). */
    public Traced storing(String what) {
        return new Traced(tracer.spanBuilder("store outcome").setAttribute("celeriac.write", what).startSpan());
    }

    /**
     * A started span made current on the calling thread until {@link #close}, which leaves the span open: it ends
     * with {@link #end}, possibly on another thread once an asynchronous write completes.
     */
    public static final class Traced implements AutoCloseable {

        private final Span span;
        private final io.opentelemetry.context.Scope scope;

        Traced(Span span) {
            this.span = span;
            this.scope = span.makeCurrent();
        }

        public Span span() {
            return span;
        }

        /** Ends the span, as an error when {@code failure} is not null. */
        public void end(Throwable failure) {
            if (failure != null) {
                span.recordException(failure);
                span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
            }
            span.end();
        }

        @Override
        public void close() {
            scope.close();
        }
    }
}
