package io.celeriac.control;

import java.io.IOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.message.WireJson;
import io.celeriac.queue.Queues;
import io.celeriac.role.Role;
import io.celeriac.role.Roles;
import io.celeriac.worker.WorkerRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;

/**
 * Celery's remote control mailbox ("pidbox"), so {@code celery inspect ping} and Flower see Java workers beside
 * Python ones. Only {@code ping}, {@code hello} and {@code heartbeat} mean something here; other commands get the
 * error reply a Python worker gives for a command it does not know. The topology is declared with kombu 5.2's exact
 * flags: a mismatch would close the channel of whichever side declares second with 406 PRECONDITION_FAILED.
 */
@Singleton
public class RemoteControl {

    private static final Logger LOG = Logger.getLogger(RemoteControl.class);
    static final String EXCHANGE = "celery.pidbox";
    static final String REPLY_EXCHANGE = "reply.celery.pidbox";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final CeleriacConfig config;
    private final Roles roles;
    private final String node;
    /** Kombu's LamportClock: clients read it from the {@code clock} header of replies. */
    private final AtomicLong clock = new AtomicLong();
    private final Set<String> declaredReplyExchanges = new HashSet<>();
    private volatile Runnable heartbeatListener = () -> {
    };
    private Connection connection;
    private Channel channel;
    private volatile boolean cancelled;
    private boolean closed;
    private boolean warned;

    public RemoteControl(CeleriacConfig config, Roles roles, WorkerRegistry workers) {
        this.config = config;
        this.roles = roles;
        this.node = workers.name();
    }

    /** Runs, on the broker client's thread, when a monitor (Flower) asks workers for a heartbeat event now. */
    public void onHeartbeatRequest(Runnable listener) {
        this.heartbeatListener = listener;
    }

    void start(@Observes StartupEvent event) {
        if (!roles.has(Role.WORKER)) {
            return;
        }
        // Connecting to an unresponsive broker can take seconds; start-up must not wait for it.
        Thread opener = new Thread(this::listen, "celeriac-pidbox-open");
        opener.setDaemon(true);
        opener.start();
    }

    @Scheduled(every = "2s", skipExecutionIf = Scheduled.ApplicationNotRunning.class,
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void watch() {
        if (roles.has(Role.WORKER)) {
            listen();
        }
    }

    private synchronized void listen() {
        if (closed || (channel != null && channel.isOpen() && !cancelled)) {
            return;
        }
        disconnect();
        try {
            connection = Queues.connect(config.broker(), 2000, "celeriac-pidbox");
            channel = connection.createChannel();
            channel.exchangeDeclare(EXCHANGE, "fanout", false, false, Map.of());
            String queue = node + ".celery.pidbox";
            // Integers, as kombu's maybe_s_to_ms sends them: RabbitMQ compares the arguments of a redeclaration.
            channel.queueDeclare(queue, false, false, true, Map.of("x-message-ttl", 300_000, "x-expires", 10_000));
            channel.queueBind(queue, EXCHANGE, "");
            declareReplyExchange(REPLY_EXCHANGE);
            cancelled = false;
            channel.basicConsume(queue, true, (tag, delivery) -> handle(delivery.getBody(), delivery.getProperties()),
                    tag -> cancelled = true);
            LOG.infof("worker %s answers Celery remote control on %s", node, queue);
            warned = false;
        } catch (Exception e) {
            disconnect();
            if (warned) {
                LOG.debugf("remote control still unavailable: %s", reason(e));
            } else {
                warned = true;
                LOG.warnf("remote control unavailable (broker unreachable?), retrying every 2 s: %s", reason(e));
            }
        }
    }

    private void handle(byte[] body, AMQP.BasicProperties properties) {
        try {
            Map<String, Object> headers = properties.getHeaders() == null ? Map.of() : properties.getHeaders();
            if (headers.get("clock") instanceof Number other) {
                clock.accumulateAndGet(other.longValue(), (mine, theirs) -> Math.max(mine, theirs) + 1);
            }
            Double expires = headers.get("expires") instanceof Number n ? n.doubleValue() : null;
            JsonNode request = WireJson.MAPPER.readTree(body);
            double now = System.currentTimeMillis() / 1000.0;
            Optional<String> method = accepted(node, request, now, expires);
            if (method.isEmpty()) {
                return;
            }
            if ("heartbeat".equals(method.get())) {
                heartbeatListener.run();
            }
            Optional<ObjectNode> reply = reply(node, request, now, expires);
            if (reply.isPresent()) {
                publish(request.get("reply_to"), request.path("ticket").textValue(), reply.get());
            }
        } catch (Exception e) {
            // The consumer thread must survive a bad request; a Python worker logs and goes on too.
            LOG.debugf("remote control request not handled: %s", reason(e));
        }
    }

    private synchronized void publish(JsonNode replyTo, String ticket, ObjectNode reply) throws IOException {
        if (channel == null || !channel.isOpen()) {
            return;
        }
        String exchange = replyTo.get("exchange").textValue();
        declareReplyExchange(exchange);
        Map<String, Object> headers = new HashMap<>();
        headers.put("ticket", ticket);
        headers.put("clock", clock.incrementAndGet());
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().contentType("application/json")
                .contentEncoding("utf-8").deliveryMode(1).headers(headers).build();
        channel.basicPublish(exchange, replyTo.get("routing_key").textValue(), properties,
                WireJson.MAPPER.writeValueAsBytes(reply));
    }

    /** Kombu declares the reply exchange before each reply (cached per channel), as a direct transient one. */
    private void declareReplyExchange(String exchange) throws IOException {
        if (!exchange.isEmpty() && declaredReplyExchanges.add(exchange)) {
            channel.exchangeDeclare(exchange, "direct", false, false, Map.of());
        }
    }

    /**
     * The body to send back for a request, {@code {"<node>": <reply>}}, or empty when there is nothing to send: the
     * request is for other nodes, has expired, or is a cast (no {@code reply_to}).
     */
    static Optional<ObjectNode> reply(String node, JsonNode request, double nowEpochSeconds, Double expiresHeader) {
        Optional<String> method = accepted(node, request, nowEpochSeconds, expiresHeader);
        JsonNode replyTo = method.isEmpty() ? null : request.get("reply_to");
        // Without both fields kombu's reply raises KeyError and the Python worker sends nothing.
        if (replyTo == null || !replyTo.path("exchange").isTextual() || !replyTo.path("routing_key").isTextual()) {
            return Optional.empty();
        }
        ObjectNode body = JSON.objectNode();
        body.set(node, answer(method.get()));
        return Optional.of(body);
    }

    /** The method of a request this node should run, as kombu's {@code Node.handle_message} decides. */
    static Optional<String> accepted(String node, JsonNode request, double nowEpochSeconds, Double expiresHeader) {
        if (request == null || !request.isObject() || !request.path("method").isTextual()) {
            return Optional.empty();
        }
        // Kombu sends 0 for a request without a timeout.
        if (expiresHeader != null && expiresHeader > 0 && nowEpochSeconds > expiresHeader) {
            return Optional.empty();
        }
        return forMe(node, request) ? Optional.of(request.get("method").textValue()) : Optional.empty();
    }

    private static boolean forMe(String node, JsonNode request) {
        JsonNode destination = request.path("destination");
        if (destination.isArray() && !destination.isEmpty()) {
            for (JsonNode each : destination) {
                if (node.equals(each.textValue())) {
                    return true;
                }
            }
            return false;
        }
        if (destination.isTextual() && !destination.textValue().isEmpty()) {
            // Python's `hostname in destination` on a str is a substring test.
            return destination.textValue().contains(node);
        }
        String pattern = request.path("pattern").textValue();
        String matcher = request.path("matcher").textValue();
        // Kombu looks at a pattern only when a matcher comes with it; otherwise the request is for everyone.
        if (pattern == null || pattern.isEmpty() || matcher == null || matcher.isEmpty()) {
            return true;
        }
        return matches(node, pattern, matcher);
    }

    private static boolean matches(String node, String pattern, String matcher) {
        try {
            return switch (matcher) {
                case "pcre" -> Pattern.compile(pattern).matcher(node).lookingAt(); // re.match anchors at the start
                case "glob" -> Pattern.compile(globToRegex(pattern)).matcher(node).matches();
                default -> false; // kombu raises MatcherNotInstalled: the Python worker logs it and does not reply
            };
        } catch (PatternSyntaxException e) {
            return false;
        }
    }

    /** fnmatch's {@code *} and {@code ?}; anything else is literal. */
    private static String globToRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return regex.toString();
    }

    /** What a 5.2 Python worker answers (celery/worker/control.py), or kombu's error reply for unknown commands. */
    private static JsonNode answer(String method) {
        return switch (method) {
            case "ping" -> JSON.objectNode().put("ok", "pong");
            case "hello" -> JSON.objectNode(); // mingle skips an empty reply
            case "heartbeat" -> JSON.nullNode(); // the command returns None; the event is the answer
            default -> JSON.objectNode().put("error", "KeyError('" + method + "')");
        };
    }

    /** A failed channel call's IOException has no message; the broker's reason is in its cause. */
    private static String reason(Exception e) {
        return e.getMessage() != null ? e.getMessage() : String.valueOf(e.getCause());
    }

    @PreDestroy
    synchronized void close() {
        closed = true;
        disconnect();
    }

    private void disconnect() {
        declaredReplyExchanges.clear();
        channel = null;
        if (connection != null) {
            try {
                connection.abort(1000);
            } finally {
                connection = null;
            }
        }
    }
}
