package io.celeriac.schedule;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.task.TaskDefinition;
import io.celeriac.task.TaskRegistry;
import io.quarkus.runtime.Startup;

/**
 * The beat schedule: entries from {@code celeriac.beat.schedule.*} and from {@link Periodic} task methods, checked at
 * start-up. An entry that names an unknown task, has no valid schedule or arguments stops the application with a
 * message naming the entry.
 */
@Startup
@Singleton
public class BeatSchedule {

    private final Map<String, BeatEntry> entries;

    public BeatSchedule(CeleriacConfig config, TaskRegistry tasks, ObjectMapper mapper) {
        Map<String, BeatEntry> found = new TreeMap<>();
        config.beat().schedule().forEach((name, entry) -> found.put(name, fromConfig(name, entry, tasks::find,
                mapper)));
        for (TaskDefinition task : tasks.all()) {
            Periodic periodic = task.method().getAnnotation(Periodic.class);
            if (periodic == null) {
                continue;
            }
            BeatEntry entry = fromAnnotation(task, periodic);
            if (found.putIfAbsent(entry.name(), entry) != null) {
                throw invalid(entry.name(), "defined both in configuration and by @Periodic on " + task.method());
            }
        }
        this.entries = Collections.unmodifiableMap(found);
    }

    public Collection<BeatEntry> entries() {
        return entries.values();
    }

    static BeatEntry fromConfig(String name, CeleriacConfig.Beat.Entry entry,
            Function<String, Optional<TaskDefinition>> tasks, ObjectMapper mapper) {
        TaskDefinition task = tasks.apply(entry.task())
                .orElseThrow(() -> invalid(name, "unknown task '" + entry.task() + "'"));
        List<Object> args;
        Map<String, Object> kwargs;
        try {
            args = mapper.readValue(entry.args().orElse("[]"), new TypeReference<List<Object>>() {
            });
        } catch (Exception e) {
            throw invalid(name, "'args' is not a JSON array: " + entry.args().orElse(""));
        }
        try {
            kwargs = mapper.readValue(entry.kwargs().orElse("{}"), new TypeReference<Map<String, Object>>() {
            });
        } catch (Exception e) {
            throw invalid(name, "'kwargs' is not a JSON object: " + entry.kwargs().orElse(""));
        }
        return new BeatEntry(name, task.name(), args, kwargs, schedule(name, entry.every(), entry.cron(),
                entry.timeZone()), entry.missed(), entry.skipIfRunning());
    }

    static BeatEntry fromAnnotation(TaskDefinition task, Periodic periodic) {
        String name = periodic.name().isBlank() ? task.name() : periodic.name();
        Method method = task.method();
        if (method.getParameterCount() != 0) {
            throw invalid(name, "@Periodic task " + method + " must take no arguments");
        }
        Optional<Duration> every;
        try {
            every = Optional.of(periodic.every()).filter(s -> !s.isBlank())
                    .map(s -> Duration.parse(s.startsWith("P") ? s : "PT" + s));
        } catch (RuntimeException e) {
            throw invalid(name, "'every' is not a duration: " + periodic.every());
        }
        return new BeatEntry(name, task.name(), List.of(), Map.of(), schedule(name, every,
                Optional.of(periodic.cron()).filter(s -> !s.isBlank()), Optional.of(periodic.timeZone())),
                periodic.missed(), periodic.skipIfRunning());
    }

    private static Schedule schedule(String name, Optional<Duration> every, Optional<String> cron,
            Optional<String> zone) {
        try {
            return Schedule.of(every, cron, zone);
        } catch (IllegalArgumentException e) {
            throw invalid(name, e.getMessage());
        }
    }

    private static IllegalStateException invalid(String entry, String problem) {
        return new IllegalStateException("beat schedule entry '" + entry + "': " + problem);
    }
}
