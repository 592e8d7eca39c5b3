package io.celeriac.message;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.config.CeleriacConfig;

/**
 * Optional message signing ({@code celeriac.security.signing-key}): every message sent carries an HMAC-SHA256 of the
 * call (its headers' values and its body) in the header {@value #HEADER}, and a worker that has the key runs only
 * messages whose signature it can verify. The signature covers what the call means, read back from the message, not
 * its bytes: AMQP 0-9-1 and 1.0 carry the same headers with different types, and both must verify.
 */
@Singleton
public class MessageSigner {

    public static final String HEADER = "celeriac_signature";
    private static final String ALGORITHM = "HmacSHA256";

    private final Optional<SecretKeySpec> key;

    @jakarta.inject.Inject
    public MessageSigner(CeleriacConfig config) {
        this(config.security().signingKey());
    }

    MessageSigner(Optional<String> key) {
        this.key = key.filter(k -> !k.isBlank())
                .map(k -> new SecretKeySpec(k.getBytes(StandardCharsets.UTF_8), ALGORITHM));
    }

    public boolean enabled() {
        return key.isPresent();
    }

    /** The signature of this call; only when {@link #enabled()}. */
    public String sign(TaskMessage message) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key.orElseThrow());
            return Base64.getEncoder().encodeToString(mac.doFinal(canonical(message)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("cannot sign task messages: " + e.getMessage(), e);
        }
    }

    /** Whether {@code signature} is this call's, compared in constant time; false for none. */
    public boolean verify(TaskMessage message, String signature) {
        if (signature == null || signature.isBlank()) {
            return false;
        }
        byte[] expected = sign(message).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signature.trim().getBytes(StandardCharsets.US_ASCII));
    }

    /** The call's fields in a fixed order, as compact JSON: the same on every side that reads the message. */
    private static byte[] canonical(TaskMessage m) {
        ObjectNode call = WireJson.MAPPER.createObjectNode();
        call.put("id", m.id()).put("task", m.task());
        call.set("args", m.args());
        call.set("kwargs", m.kwargs());
        call.set("embed", m.embed());
        call.put("retries", m.retries()).put("eta", m.eta()).put("expires", m.expires());
        call.set("timelimit", WireJson.MAPPER.valueToTree(m.timelimit()));
        call.put("root_id", m.rootId()).put("parent_id", m.parentId()).put("group", m.group());
        call.put("group_index", m.groupIndex()).put("ignore_result", m.ignoreResult()).put("shadow", m.shadow());
        try {
            return WireJson.MAPPER.writeValueAsBytes(call);
        } catch (IOException e) {
            throw new IllegalStateException("cannot sign a task message", e);
        }
    }
}
