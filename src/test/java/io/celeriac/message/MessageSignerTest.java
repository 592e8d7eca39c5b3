package io.celeriac.message;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

class MessageSignerTest {

    private final MessageSigner signer = new MessageSigner(Optional.of("k"));
    private final TaskMessageCodec codec = new TaskMessageCodec();

    private static TaskMessage call() {
        var json = JsonNodeFactory.instance;
        return new TaskMessage("id-1", "add", json.arrayNode().add(2).add(1.5).add("ü"), json.objectNode().put("k", 5L),
                null, 2, "2026-01-01T00:00:05.000000+00:00", null, "id-1", null, null, null, true, "gen1@h",
                Arrays.asList(60.0, 1.5), null, null, null, null);
    }

    @Test
    void aSignatureVerifiesOnTheCallReadBackFromTheWireOverEitherProtocol() {
        TaskMessage sent = call();
        String signature = signer.sign(sent);
        TaskMessageCodec.Wire wire = codec.encode(sent);
        assertTrue(signer.verify(codec.decode(wire.headers(), wire.body()), signature), "AMQP 0-9-1 headers");

        Map<String, Object> amqp10 = new HashMap<>(wire.headers());
        amqp10.values().removeIf(v -> v == null);
        amqp10.put("timelimit", "[60, 1.5]");
        assertTrue(signer.verify(codec.decode(amqp10, wire.body()), signature), "AMQP 1.0 application properties");
    }

    @Test
    void anAlteredCallOrAnotherKeyDoesNotVerify() {
        TaskMessage sent = call();
        String signature = signer.sign(sent);
        TaskMessage retried = sent.retry(3, java.time.Instant.parse("2026-01-01T00:00:09Z"));
        assertFalse(signer.verify(retried, signature), "a header changed");
        TaskMessageCodec.Wire wire = codec.encode(sent);
        TaskMessage otherArgs = codec.decode(wire.headers(), "[[2, 1.5, \"v\"], {\"k\": 5}, null]");
        assertFalse(signer.verify(otherArgs, signature), "the body changed");
        assertFalse(new MessageSigner(Optional.of("other")).verify(sent, signature));
        assertFalse(signer.verify(sent, null));
        assertFalse(new MessageSigner(Optional.empty()).enabled());
        assertTrue(List.of(signature).get(0).length() > 40);
    }
}
