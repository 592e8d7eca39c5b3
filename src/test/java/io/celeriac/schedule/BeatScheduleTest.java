package io.celeriac.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.task.TaskDefinition;

/** Invalid entries stop start-up with a message naming the entry. */
class BeatScheduleTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @SuppressWarnings("unused")
    public static class Tasks {
        public int add(int a, int b) {
            return a + b;
        }

        @Periodic(every = "30s")
        public void cleanup() {
        }

        @Periodic(cron = "every day")
        public void broken() {
        }
    }

    private static TaskDefinition task(String name) throws NoSuchMethodException {
        Method method = name.equals("add") ? Tasks.class.getMethod("add", int.class, int.class)
                : Tasks.class.getMethod(name);
        return new TaskDefinition(name, null, method, false);
    }

    record Entry(String task, Optional<String> args, Optional<String> kwargs, Optional<Duration> every,
            Optional<String> cron, Optional<String> timeZone, Missed missed, boolean skipIfRunning)
            implements CeleriacConfig.Beat.Entry {
    }

    private static Entry entry(String task, String args, String every, String cron) {
        return new Entry(task, Optional.ofNullable(args), Optional.empty(),
                Optional.ofNullable(every).map(Duration::parse), Optional.ofNullable(cron), Optional.empty(),
                Missed.SKIP, false);
    }

    private BeatEntry fromConfig(String name, Entry entry) {
        return BeatSchedule.fromConfig(name, entry, n -> {
            try {
                return n.equals("add") ? Optional.of(task("add")) : Optional.empty();
            } catch (NoSuchMethodException e) {
                throw new AssertionError(e);
            }
        }, mapper);
    }

    private void assertRefused(String expected, Runnable build) {
        assertEquals(expected, assertThrows(IllegalStateException.class, build::run).getMessage());
    }

    @Test
    void aConfiguredEntryCarriesItsTaskArgumentsAndSchedule() {
        BeatEntry entry = fromConfig("add-often", entry("add", "[16, 16]", "PT30S", null));
        assertEquals("add", entry.task());
        assertEquals(List.of(16, 16), entry.args());
        assertEquals(Map.of(), entry.kwargs());
        assertEquals("every 30s", entry.schedule().describe());
    }

    @Test
    void invalidConfiguredEntriesAreRefusedByName() {
        assertRefused("beat schedule entry 'nightly': unknown task 'no_such_task'",
                () -> fromConfig("nightly", entry("no_such_task", null, "PT1H", null)));
        assertRefused("beat schedule entry 'nightly': invalid cron expression 'at midnight': "
                + "Cron expression contains 2 parts but we expect one of [6, 7]",
                () -> fromConfig("nightly", entry("add", null, null, "at midnight")));
        assertRefused("beat schedule entry 'nightly': give exactly one of 'every' and 'cron'",
                () -> fromConfig("nightly", entry("add", null, null, null)));
        assertRefused("beat schedule entry 'nightly': 'args' is not a JSON array: {\"a\": 1}",
                () -> fromConfig("nightly", entry("add", "{\"a\": 1}", "PT1H", null)));
    }

    @Test
    void annotatedTaskMethodsBecomeEntries() throws Exception {
        TaskDefinition cleanup = task("cleanup");
        BeatEntry entry = BeatSchedule.fromAnnotation(cleanup, cleanup.method().getAnnotation(Periodic.class));
        assertEquals("cleanup", entry.name());
        assertEquals("every 30s", entry.schedule().describe());

        TaskDefinition broken = task("broken");
        assertThrows(IllegalStateException.class,
                () -> BeatSchedule.fromAnnotation(broken, broken.method().getAnnotation(Periodic.class)));
    }
}
