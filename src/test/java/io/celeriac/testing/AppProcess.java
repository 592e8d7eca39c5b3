package io.celeriac.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The packaged app run as a separate process, as a deployment would run it: the native executable when the build made
 * one (see {@link #nativeRunner()}), else the JVM jar in target/quarkus-app.
 */
public final class AppProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;
    private final Path log;

    private AppProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public long pid() {
        return process.pid();
    }

    public int port() {
        return port;
    }

    public Path log() {
        return log;
    }

    /** Dies at once, as on SIGKILL or a lost machine: no shutdown hooks run. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    public static AppProcess start(String name, Map<String, String> settings) throws IOException {
        return start(name, settings, Path.of("target", name + ".log"), false);
    }

    /** As {@link #start(String, Map)}, logging to {@code log}, appended to when {@code append}. */
    public static AppProcess start(String name, Map<String, String> settings, Path log, boolean append)
            throws IOException {
        return start(name, settings, List.of(), log, append);
    }

    /** As {@link #start(String, Map, Path, boolean)}, with these options for the JVM. */
    public static AppProcess start(String name, Map<String, String> settings, List<String> jvmOptions, Path log,
            boolean append) throws IOException {
        int port = LocalServer.freePort();
        Optional<Path> nativeRunner = nativeRunner();
        List<String> command = new ArrayList<>();
        if (nativeRunner.isPresent()) {
            command.add(nativeRunner.get().toString());
        } else {
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(jvmOptions);
            // For profiling and memory experiments: e.g. CELERIAC_APP_JAVA_OPTS="-XX:StartFlightRecording=filename=x.jfr".
            String extra = System.getenv("CELERIAC_APP_JAVA_OPTS");
            if (extra != null && !extra.isBlank()) {
                command.addAll(List.of(extra.trim().split("\\s+")));
            }
        }
        settings.forEach((k, v) -> {
            if (!k.startsWith("%")) {
                command.add("-D" + k + "=" + v);
            }
        });
        command.add("-Dquarkus.http.port=" + port);
        if (nativeRunner.isEmpty()) {
            command.add("-jar");
            command.add(jar().toAbsolutePath().toString());
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(append ? ProcessBuilder.Redirect.appendTo(log.toFile())
                        : ProcessBuilder.Redirect.to(log.toFile()))
                .start();
        AppProcess app = new AppProcess(process, port, log);
        try {
            awaitReady(app, name);
        } catch (RuntimeException | Error e) {
            // A process that never became ready must not outlive the test.
            process.destroyForcibly();
            throw e;
        }
        return app;
    }

    /**
     * The native executable, when the build made one: failsafe passes {@code native.image.path} (under
     * {@code -Dnative} the runner exists there), so the integration tests run native workers as they would be deployed.
     * Its {@code -D} settings are the same; JVM options do not apply.
     */
    static Optional<Path> nativeRunner() {
        String configured = System.getProperty("native.image.path");
        if (configured == null || configured.isBlank()) {
            return Optional.empty();
        }
        Path runner = Path.of(configured).toAbsolutePath();
        return Files.isRegularFile(runner) && Files.isExecutable(runner) ? Optional.of(runner) : Optional.empty();
    }

    private static void awaitReady(AppProcess app, String name) {
        Process process = app.process;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(name + " exited with " + process.exitValue()
                                + "; see " + app.log);
                    }
                    try {
                        return app.get("/q/health/ready").statusCode() == 200;
                    } catch (UncheckedIOException notListeningYet) {
                        return false;
                    }
                });
    }

    /**
     * The packaged app: the production jar, or the one {@code celeriac.app.jar} names (scripts/bench and scripts/chaos
     * run the tools build, target/tools/quarkus-app, which adds their hooks).
     */
    static Path jar() {
        return Path.of(System.getProperty("celeriac.app.jar", "target/quarkus-app/quarkus-run.jar"));
    }

    public HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A form POST with no time limit (the benchmark's hook can take a while). */
    public HttpResponse<String> postForm(String path, String form) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("content-type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Resident memory of the process, from /proc. */
    public long rssMb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }

    /** A series from the app's Prometheus metrics, summed over the lines that carry {@code labelPart}. */
    public double metric(String name, String labelPart) {
        double sum = 0;
        for (String line : get("/q/metrics").body().split("\n")) {
            if (line.startsWith(name + "{") && line.contains(labelPart) || line.startsWith(name + " ")) {
                // An exemplar (a trace's, with OpenTelemetry) follows the value after " # ".
                String sample = line.contains(" # ") ? line.substring(0, line.indexOf(" # ")) : line;
                sum += Double.parseDouble(sample.substring(sample.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Sends SIGTERM and returns at once; {@link #close} waits. */
    public void terminate() {
        process.destroy();
    }

    /** Stops it the way an orchestrator does: SIGTERM, then wait (30 s, then SIGKILL). */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
