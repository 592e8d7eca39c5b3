package io.celeriac.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * CPU time (user and system, from /proc) of the processes a phase runs on, by group: a group is every process whose
 * command line matches its test, and their descendants (Celery's prefork children, RabbitMQ's port programs). Read
 * before and after a phase, it says where a task's CPU goes, for Celeriac and for Celery alike: on two cores that is
 * what bounds the rate.
 */
final class CpuMeter {

    /** Linux's clock ticks per second for /proc/PID/stat (USER_HZ: 100 on every kernel we run). */
    private static final long TICKS_PER_SECOND = 100;

    private final Map<String, Predicate<String>> groups = new LinkedHashMap<>();

    CpuMeter group(String name, Predicate<String> commandLine) {
        groups.put(name, commandLine);
        return this;
    }

    CpuMeter pid(String name, long pid) {
        String self = "\0pid=" + pid + "\0";
        return group(name, line -> line.startsWith(self));
    }

    /** The processes whose executable is named {@code comm} (and their descendants). */
    CpuMeter comm(String name, String comm) {
        String named = "\0comm=" + comm + "\0";
        return group(name, line -> line.contains(named));
    }

    /** CPU microseconds so far per group. */
    Map<String, Long> sample() throws IOException {
        Map<Long, long[]> stat = new HashMap<>(); // pid -> {ppid, ticks}
        Map<Long, String> lines = new HashMap<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String s = Files.readString(p.resolve("stat"));
                    // After the command in parentheses: state ppid ... utime(14) stime(15), counted from field 3.
                    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                    long pid = Long.parseLong(name);
                    stat.put(pid, new long[] { Long.parseLong(f[1]), Long.parseLong(f[11]) + Long.parseLong(f[12]) });
                    byte[] cmd = Files.readAllBytes(p.resolve("cmdline"));
                    String comm = Files.readString(p.resolve("comm")).trim();
                    lines.put(pid, "\0pid=" + pid + "\0comm=" + comm + "\0" + new String(cmd, StandardCharsets.UTF_8));
                } catch (IOException | RuntimeException gone) {
                    // exited meanwhile
                }
            }
        }
        Map<String, Long> micros = new LinkedHashMap<>();
        groups.keySet().forEach(g -> micros.put(g, 0L));
        for (Map.Entry<Long, long[]> e : stat.entrySet()) {
            String group = groupOf(e.getKey(), stat, lines);
            if (group != null) {
                micros.merge(group, e.getValue()[1] * 1_000_000 / TICKS_PER_SECOND, Long::sum);
            }
        }
        return micros;
    }

    private String groupOf(long pid, Map<Long, long[]> stat, Map<Long, String> lines) {
        for (long p = pid, depth = 0; p > 1 && depth < 20; depth++) {
            String line = lines.get(p);
            if (line != null) {
                for (Map.Entry<String, Predicate<String>> g : groups.entrySet()) {
                    if (g.getValue().test(line)) {
                        return g.getKey();
                    }
                }
            }
            long[] s = stat.get(p);
            if (s == null) {
                return null;
            }
            p = s[0];
        }
        return null;
    }

    /**
     * Prints {@code cpu_us_per_task_<group><suffix>} for the CPU each group spent since {@code before}, and for the
     * {@code others} (microseconds a process that has exited reported itself), then their total.
     */
    void print(Map<String, Long> before, long tasks, String suffix, Map<String, Long> others) throws IOException {
        Map<String, Long> after = sample();
        long total = 0;
        for (Map.Entry<String, Long> e : others.entrySet()) {
            total += e.getValue();
            System.out.println("cpu_us_per_task_" + e.getKey() + suffix + "=" + e.getValue() / tasks);
        }
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long spent = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            total += spent;
            System.out.println("cpu_us_per_task_" + e.getKey() + suffix + "=" + spent / tasks);
        }
        System.out.println("cpu_us_per_task_total" + suffix + "=" + total / tasks);
    }
}
