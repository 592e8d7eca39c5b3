package io.celeriac.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

class CeleryEventsTest {

    private static final Instant NOW = Instant.ofEpochSecond(1796111567, 989_899_000);

    @Test
    void routingKeyIsTheTypeWithDots() {
        assertEquals("task.succeeded", CeleryEvents.routingKey("task-succeeded"));
        assertEquals("worker.heartbeat", CeleryEvents.routingKey("worker-heartbeat"));
    }

    @Test
    void everyEventCarriesWhatTheMonitorNeeds() {
        ObjectNode event = CeleryEvents.event("task-started", "4242@host1", 4242, 7, NOW, 0);
        assertEquals("task-started", event.path("type").textValue());
        assertEquals("4242@host1", event.path("hostname").textValue());
        assertEquals(1796111567.989899, event.path("timestamp").doubleValue(), 1e-6);
        assertEquals(7, event.path("clock").longValue());
        assertEquals(4242, event.path("pid").longValue());
        assertTrue(event.path("utcoffset").isInt());
    }

    @Test
    void utcoffsetIsHoursWestOfUtc() {
        assertEquals(0, CeleryEvents.utcoffset(ZoneId.of("UTC"), NOW));
        assertEquals(5, CeleryEvents.utcoffset(ZoneId.of("-05:00"), NOW));
        assertEquals(-6, CeleryEvents.utcoffset(ZoneId.of("+05:30"), NOW)); // as Python's floor division gives
    }

    @Test
    void workerEventHasTheHeartbeatFields() {
        ObjectNode event = CeleryEvents.worker(CeleryEvents.event("worker-heartbeat", "n", 1, 1, NOW, 0), 3, 10,
                1.23456);
        assertEquals(2.0, event.path("freq").doubleValue());
        assertEquals(3, event.path("active").intValue());
        assertEquals(10, event.path("processed").longValue());
        assertEquals("[1.23,1.23,1.23]", event.path("loadavg").toString());
        assertEquals("celeriac", event.path("sw_ident").textValue());
        assertTrue(event.path("sw_ver").isTextual() && event.path("sw_sys").isTextual());
        assertEquals("[0.0,0.0,0.0]", CeleryEvents.worker(CeleryEvents.event("worker-online", "n", 1, 2, NOW, 0), 0, 0,
                -1.0).path("loadavg").toString());
    }
}
