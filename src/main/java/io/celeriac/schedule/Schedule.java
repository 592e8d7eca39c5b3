package io.celeriac.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

/** When an entry's ticks fall. Ticks are absolute instants, so every instance computes the same ones. */
public sealed interface Schedule {

    /** The first tick strictly after {@code after}. */
    Instant next(Instant after);

    String describe();

    /** Every {@code period}, on multiples of it since the epoch. */
    record Every(Duration period) implements Schedule {
        public Every {
            if (period.isNegative() || period.isZero() || period.toMillis() == 0) {
                throw new IllegalArgumentException("interval must be at least 1 ms, got " + period);
            }
        }

        @Override
        public Instant next(Instant after) {
            long p = period.toMillis();
            return Instant.ofEpochMilli(Math.floorDiv(after.toEpochMilli(), p) * p + p);
        }

        @Override
        public String describe() {
            return "every " + period.toString().substring(2).toLowerCase();
        }
    }

    record Cron(String expression, ZoneId zone, ExecutionTime times) implements Schedule {
        @Override
        public Instant next(Instant after) {
            return times.nextExecution(after.atZone(zone)).map(t -> t.toInstant())
                    .orElse(Instant.MAX);
        }

        @Override
        public String describe() {
            return "cron " + expression + (zone.equals(ZoneOffset.UTC) ? "" : " " + zone);
        }
    }

    /** Reads an entry's schedule; the message of a failure says what is wrong, for the caller to name the entry. */
    static Schedule of(Optional<Duration> every, Optional<String> cron, Optional<String> timeZone) {
        if (every.isPresent() == cron.isPresent()) {
            throw new IllegalArgumentException("give exactly one of 'every' and 'cron'");
        }
        if (every.isPresent()) {
            return new Every(every.get());
        }
        String expression = cron.get().trim();
        ZoneId zone;
        try {
            zone = timeZone.filter(z -> !z.isBlank()).map(ZoneId::of).orElse(ZoneOffset.UTC);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unknown time zone '" + timeZone.get() + "'");
        }
        CronType type = expression.split("\\s+").length == 5 ? CronType.UNIX : CronType.QUARTZ;
        try {
            var parsed = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(type)).parse(expression);
            parsed.validate();
            return new Cron(expression, zone, ExecutionTime.forCron(parsed));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid cron expression '" + expression + "': " + e.getMessage());
        }
    }

    /** The ticks to send now, and how far the entry's record moves. */
    record Due(List<Instant> send, Instant last) {
    }

    /**
     * The ticks after {@code last} up to {@code now}: those older than {@code misfireThreshold} are misfires, dropped
     * or sent once in all according to {@code missed}; the others are sent one by one.
     */
    static Due due(Schedule schedule, Instant last, Instant now, Duration misfireThreshold, Missed missed) {
        Instant tick = schedule.next(last);
        if (tick.isAfter(now)) {
            return new Due(List.of(), last);
        }
        Instant onTimeFrom = now.minus(misfireThreshold);
        Instant newest = last;
        List<Instant> send = new ArrayList<>();
        if (tick.isBefore(onTimeFrom)) {
            Instant misfired = lastBefore(schedule, tick, onTimeFrom);
            if (missed == Missed.CATCH_UP) {
                send.add(misfired);
            }
            newest = misfired;
            tick = schedule.next(misfired);
        }
        for (; !tick.isAfter(now); tick = schedule.next(tick)) {
            send.add(tick);
            newest = tick;
        }
        return new Due(send, newest);
    }

    /** The newest tick before {@code limit}, from a tick {@code from} known to be before it. */
    private static Instant lastBefore(Schedule schedule, Instant from, Instant limit) {
        if (schedule instanceof Every every) {
            // Downtime of a fine-grained interval: jump instead of walking every tick.
            long p = every.period().toMillis();
            return Instant.ofEpochMilli(Math.max(from.toEpochMilli(), Math.floorDiv(limit.toEpochMilli() - 1, p) * p));
        }
        Instant tick = from;
        for (Instant next = schedule.next(tick); next.isBefore(limit); next = schedule.next(next)) {
            tick = next;
        }
        return tick;
    }
}
