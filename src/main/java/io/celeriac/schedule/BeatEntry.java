package io.celeriac.schedule;

import java.util.List;
import java.util.Map;

/** One periodic task: what to send, when, and how to treat misfires and overlaps. */
public record BeatEntry(String name, String task, List<Object> args, Map<String, Object> kwargs, Schedule schedule,
        Missed missed, boolean skipIfRunning) {
}
