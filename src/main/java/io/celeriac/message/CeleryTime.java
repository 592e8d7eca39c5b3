package io.celeriac.message;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * The times in task headers ({@code eta}, {@code expires}). Celery 5.2 reads the fraction of a second as microseconds
 * verbatim and rejects seven digits or more (so Java's {@code Instant.toString()} with nanoseconds would get a task
 * rejected): they are written with exactly six digits and an offset. Read leniently: with or without fraction,
 * {@code Z} or an offset, or naive (UTC, as Celery takes it).
 */
public final class CeleryTime {

    private static final DateTimeFormatter WRITE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx")
            .withZone(ZoneOffset.UTC);

    private CeleryTime() {
    }

    public static String format(Instant instant) {
        return WRITE.format(instant.truncatedTo(ChronoUnit.MICROS));
    }

    /** The instant a header names; {@link DateTimeParseException} when it names none. */
    public static Instant parse(String text) {
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException withoutOffset) {
            return LocalDateTime.parse(text, DateTimeFormatter.ISO_LOCAL_DATE_TIME).toInstant(ZoneOffset.UTC);
        }
    }
}
