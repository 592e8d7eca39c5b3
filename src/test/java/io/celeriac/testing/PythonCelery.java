package io.celeriac.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Real Python Celery (Debian's python3-celery 5.2.6, see src/test/python/interop) against a test's private RabbitMQ
 * and Redis: workers of {@code pyapp.py} and one-shot {@code pyclient.py} commands that answer one JSON object.
 */
public final class PythonCelery {

    /**
     * Debian's packages install for /usr/bin/python3; a pyenv or venv python3 first on PATH would not see them.
     */
    public static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3"
            : "python3";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<Process> WORKERS = ConcurrentHashMap.newKeySet();

    static {
        // A worker a failed test did not stop must not outlive the JVM (it would retry its broker forever).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> WORKERS.forEach(Process::destroyForcibly)));
    }

    private final Path root = projectRoot();
    private final Path dir;
    private final Map<String, String> env;

    public PythonCelery(int brokerPort, int redisPort) {
        this(brokerPort, redisPort, "interop");
    }

    /** Python code in src/test/python/{@code directory} (interop: the tests' app; bench: the Flask guide's). */
    public PythonCelery(int brokerPort, int redisPort, String directory) {
        dir = root.resolve("src/test/python").resolve(directory);
        env = Map.of(
                "CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:" + brokerPort + "//",
                "CELERY_RESULT_BACKEND", "redis://127.0.0.1:" + redisPort + "/0",
                "PYTHONUNBUFFERED", "1",
                "PYTHONDONTWRITEBYTECODE", "1"); // no __pycache__ in src/test/python
    }

    /** Whether Python Celery and redis-py can be imported, for a clear failure message (the tests must not skip). */
    public static boolean available() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import celery, redis").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Starts a worker consuming {@code queues} (comma-separated) as {@code nodeName}, two threads, and waits until it
     * is ready. Its output is appended to target/python-worker-&lt;nodeName&gt;.log.
     */
    public Process worker(String queues, String nodeName) {
        return worker(nodeName, "ready.", "-A", "pyapp", "worker", "-Q", queues, "-n", nodeName, "-c", "2",
                "--pool", "threads", "--without-mingle", "--without-gossip", "-l", "info");
    }

    /**
     * Starts {@code celery celeryArgs…} (a worker) and waits until its output shows {@code readyText}; the output is
     * appended to target/python-worker-&lt;logName&gt;.log.
     */
    public Process worker(String logName, String readyText, String... celeryArgs) {
        String nodeName = logName;
        Path log = root.resolve("target/python-worker-" + nodeName.replaceAll("[^A-Za-z0-9._@-]", "_") + ".log");
        try {
            Files.createDirectories(log.getParent());
            long from = Files.exists(log) ? Files.size(log) : 0; // a restarted node appends: read only the new part
            List<String> command = new ArrayList<>(List.of(PYTHON, "-m", "celery"));
            command.addAll(List.of(celeryArgs));
            Process worker = builder(command.toArray(String[]::new)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            WORKERS.add(worker);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!tail(log, from).contains(readyText)) {
                if (!worker.isAlive() || System.nanoTime() > deadline) {
                    String why = worker.isAlive() ? "did not get ready in 60 s" : "exited with " + worker.exitValue();
                    stop(worker);
                    throw new IllegalStateException("Python worker " + nodeName + " " + why + "; " + log + ":\n"
                            + lastLines(tail(log, from)));
                }
                Thread.sleep(100);
            }
            return worker;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Warm shutdown (SIGTERM: the worker finishes its running tasks), killed after 15 s. */
    public void stop(Process worker) {
        try {
            worker.destroy();
            if (!worker.waitFor(15, TimeUnit.SECONDS)) {
                worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            worker.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            WORKERS.remove(worker);
        }
    }

    /** Runs {@code pyclient.py args…} (see its header for the commands) and returns the JSON object it printed. */
    public JsonNode client(String... args) {
        return run("pyclient.py", args);
    }

    /** Runs {@code script args…}, a command that prints one JSON object, and returns that object. */
    public JsonNode run(String script, String... args) {
        List<String> command = new ArrayList<>(List.of(PYTHON, script));
        command.addAll(List.of(args));
        try {
            Process p = builder(command.toArray(String[]::new)).start();
            CompletableFuture<String> out = read(p.getInputStream());
            CompletableFuture<String> err = read(p.getErrorStream());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException(command + " did not finish in 120 s\nstdout: "
                        + out.completeOnTimeout("", 5, TimeUnit.SECONDS).join() + "\nstderr: "
                        + err.completeOnTimeout("", 5, TimeUnit.SECONDS).join());
            }
            String stdout = out.join();
            String stderr = err.join();
            if (p.exitValue() != 0) {
                throw new IllegalStateException(command + " exited with " + p.exitValue() + "\nstdout: " + stdout
                        + "\nstderr: " + stderr);
            }
            try {
                JsonNode json = JSON.readTree(stdout);
                if (json == null || !json.isObject()) {
                    throw new IOException("not a JSON object");
                }
                return json;
            } catch (IOException e) {
                throw new IllegalStateException(command + " printed no JSON object (" + e.getMessage() + ")\nstdout: "
                        + stdout + "\nstderr: " + stderr);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private ProcessBuilder builder(String... command) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().putAll(env);
        return builder;
    }

    /** Drains a pipe on its own thread, so that neither stdout nor stderr can fill up and block the process. */
    private static CompletableFuture<String> read(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }, task -> {
            Thread thread = new Thread(task, "pyclient-output");
            thread.setDaemon(true);
            thread.start();
        });
    }

    private static String tail(Path log, long from) throws IOException {
        byte[] bytes = Files.readAllBytes(log);
        int start = (int) Math.min(from, bytes.length);
        return new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8);
    }

    private static String lastLines(String text) {
        String[] lines = text.split("\n");
        return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 40), lines.length));
    }

    /** The directory holding src/test/python/interop: the working directory under Maven, or one above it. */
    private static Path projectRoot() {
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("src/test/python/interop/pyapp.py"))) {
                return d;
            }
        }
        throw new IllegalStateException("src/test/python/interop not found above " + System.getProperty("user.dir"));
    }
}
