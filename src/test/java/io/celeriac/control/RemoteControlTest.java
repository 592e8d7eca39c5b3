package io.celeriac.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.celeriac.message.WireJson;

class RemoteControlTest {

    private static final String NODE = "4242@host1";
    private static final double NOW = 1796111567.0;

    /** As captured from a 5.2.6 {@code app.control.ping()}, with the given destination and method. */
    private static ObjectNode request(String method, String destination) throws Exception {
        return (ObjectNode) WireJson.MAPPER.readTree("{\"method\": \"" + method + "\", \"arguments\": {}, "
                + "\"destination\": " + destination + ", \"pattern\": null, \"matcher\": null, "
                + "\"ticket\": \"4a469a68\", "
                + "\"reply_to\": {\"exchange\": \"reply.celery.pidbox\", \"routing_key\": \"bfb337fe\"}}");
    }

    @Test
    void pingToEveryoneIsAnsweredPong() throws Exception {
        Optional<ObjectNode> reply = RemoteControl.reply(NODE, request("ping", "null"), NOW, NOW + 1.0);
        assertEquals(WireJson.MAPPER.readTree("{\"4242@host1\": {\"ok\": \"pong\"}}"), reply.orElseThrow());
    }

    @Test
    void pingToThisNodeIsAnswered() throws Exception {
        assertTrue(RemoteControl.reply(NODE, request("ping", "[\"celery@py\", \"4242@host1\"]"), NOW, 0.0)
                .isPresent());
    }

    @Test
    void requestForOtherNodesIsIgnored() throws Exception {
        assertEquals(Optional.empty(), RemoteControl.reply(NODE, request("ping", "[\"celery@py\"]"), NOW, null));
    }

    @Test
    void expiredRequestIsIgnored() throws Exception {
        assertEquals(Optional.empty(), RemoteControl.reply(NODE, request("ping", "null"), NOW, NOW - 0.5));
    }

    @Test
    void unknownCommandGetsPythonsError() throws Exception {
        JsonNode reply = RemoteControl.reply(NODE, request("stats", "null"), NOW, null).orElseThrow();
        assertEquals("KeyError('stats')", reply.path(NODE).path("error").textValue());
    }

    @Test
    void castGetsNoReplyButIsAccepted() throws Exception {
        ObjectNode cast = request("heartbeat", "null");
        cast.remove("reply_to");
        cast.remove("ticket");
        assertEquals(Optional.empty(), RemoteControl.reply(NODE, cast, NOW, 0.0));
        assertEquals(Optional.of("heartbeat"), RemoteControl.accepted(NODE, cast, NOW, 0.0));
    }

    @Test
    void patternCountsOnlyWithAMatcher() throws Exception {
        ObjectNode byPattern = request("ping", "null");
        byPattern.put("pattern", "4242@.*").put("matcher", "pcre");
        assertTrue(RemoteControl.reply(NODE, byPattern, NOW, null).isPresent());
        byPattern.put("pattern", "celery@*").put("matcher", "glob");
        assertEquals(Optional.empty(), RemoteControl.reply(NODE, byPattern, NOW, null));
        byPattern.put("pattern", "4242@*");
        assertTrue(RemoteControl.reply(NODE, byPattern, NOW, null).isPresent());
        byPattern.putNull("matcher"); // kombu then ignores the pattern
        byPattern.put("pattern", "celery@*");
        assertTrue(RemoteControl.reply(NODE, byPattern, NOW, null).isPresent());
    }
}
