package io.celeriac.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ScheduleTest {

    private static final Duration MISFIRE = Duration.ofSeconds(60);

    private static Instant at(String iso) {
        return Instant.parse(iso);
    }

    private static Schedule every(String duration) {
        return Schedule.of(Optional.of(Duration.parse(duration)), Optional.empty(), Optional.empty());
    }

    private static Schedule cron(String expression, String zone) {
        return Schedule.of(Optional.empty(), Optional.of(expression), Optional.ofNullable(zone));
    }

    @Test
    void intervalTicksAreAlignedToTheEpochSoEveryInstanceAgrees() {
        Schedule s = every("PT10S");
        assertEquals(at("2026-01-01T00:00:10Z"), s.next(at("2026-01-01T00:00:03.400Z")));
        assertEquals(at("2026-01-01T00:00:20Z"), s.next(at("2026-01-01T00:00:10Z")));
        assertEquals("every 10s", s.describe());
    }

    @Test
    void cronTicksFollowTheExpressionInItsTimeZone() {
        Schedule quartz = cron("0 30 4 * * ?", "Europe/Paris");
        assertEquals(at("2026-01-02T03:30:00Z"), quartz.next(at("2026-01-01T03:30:00Z")));
        Schedule unix = cron("*/15 * * * *", null);
        assertEquals(at("2026-01-01T00:15:00Z"), unix.next(at("2026-01-01T00:00:00Z")));
    }

    @Test
    void aScheduleNeedsExactlyOneValidTimingRule() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Schedule.of(Optional.empty(), Optional.empty(), Optional.empty())).getMessage()
                .contains("exactly one of 'every' and 'cron'"));
        assertThrows(IllegalArgumentException.class,
                () -> Schedule.of(Optional.of(Duration.ofSeconds(1)), Optional.of("* * * * *"), Optional.empty()));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> cron("61 * * * * ?", null)).getMessage()
                .startsWith("invalid cron expression '61 * * * * ?'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> cron("0 0 * * * ?", "Mars/Olympus"))
                .getMessage().contains("unknown time zone"));
        assertThrows(IllegalArgumentException.class, () -> every("PT0S"));
    }

    @Test
    void nothingIsDueBeforeTheNextTick() {
        Schedule.Due due = Schedule.due(every("PT1S"), at("2026-01-01T00:00:05Z"), at("2026-01-01T00:00:05.900Z"),
                MISFIRE, Missed.SKIP);
        assertEquals(List.of(), due.send());
        assertEquals(at("2026-01-01T00:00:05Z"), due.last());
    }

    @Test
    void ticksDueDuringALeaderChangeAreEachSentLateRatherThanLost() {
        Schedule.Due due = Schedule.due(every("PT1S"), at("2026-01-01T00:00:05Z"), at("2026-01-01T00:00:08.200Z"),
                MISFIRE, Missed.SKIP);
        assertEquals(List.of(at("2026-01-01T00:00:06Z"), at("2026-01-01T00:00:07Z"), at("2026-01-01T00:00:08Z")),
                due.send());
        assertEquals(at("2026-01-01T00:00:08Z"), due.last());
    }

    @Test
    void misfiredTicksAfterDowntimeAreSkipped() {
        Schedule.Due due = Schedule.due(every("PT1S"), at("2026-01-01T00:00:00Z"), at("2026-01-01T06:00:00.500Z"),
                MISFIRE, Missed.SKIP);
        assertEquals(60, due.send().size(), "only the ticks of the last minute are on time");
        assertEquals(at("2026-01-01T05:59:01Z"), due.send().get(0));
        assertEquals(at("2026-01-01T06:00:00Z"), due.last());
    }

    @Test
    void misfiredTicksAfterDowntimeCanBeCaughtUpWithOneRun() {
        Schedule hourly = every("PT1H");
        Schedule.Due due = Schedule.due(hourly, at("2026-01-01T00:00:00Z"), at("2026-01-01T05:30:00Z"), MISFIRE,
                Missed.CATCH_UP);
        assertEquals(List.of(at("2026-01-01T05:00:00Z")), due.send());
        assertEquals(at("2026-01-01T05:00:00Z"), due.last());

        Schedule.Due skipped = Schedule.due(hourly, at("2026-01-01T00:00:00Z"), at("2026-01-01T05:30:00Z"), MISFIRE,
                Missed.SKIP);
        assertEquals(List.of(), skipped.send());
        assertEquals(at("2026-01-01T05:00:00Z"), skipped.last(), "the skipped ticks are not looked at again");
    }

    @Test
    void theTaskIdOfATickIsTheSameEverywhereAndDiffersPerTick() {
        Instant tick = at("2026-01-01T00:00:01Z");
        assertEquals(Beat.taskId("probe", tick), Beat.taskId("probe", tick));
        assertTrue(!Beat.taskId("probe", tick).equals(Beat.taskId("probe", tick.plusSeconds(1))));
        assertTrue(!Beat.taskId("probe", tick).equals(Beat.taskId("other", tick)));
    }
}
