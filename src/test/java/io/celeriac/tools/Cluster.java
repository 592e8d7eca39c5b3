package io.celeriac.tools;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Private RabbitMQ, Redis and PostgreSQL (through scripts/lib) and processes of the packaged jar, for the command-line
 * tools scripts/chaos and scripts/bench.
 */
final class Cluster implements AutoCloseable {

    final Path root = Path.of("").toAbsolutePath();
    final Path dir;
    final Map<String, String> ports = new HashMap<>();
    private final List<Process> apps = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    Cluster(String name) throws Exception {
        dir = root.resolve("target").resolve(name);
        Files.createDirectories(dir);
        for (String p : List.of("rabbit", "rabbit-dist", "redis", "postgres")) {
            ports.put(p, String.valueOf(freePort()));
        }
        rabbitmq("start");
        redis("start");
        script("postgres.sh", "start", dir.resolve("postgres"), ports.get("postgres"));
    }

    void rabbitmq(String command) throws Exception {
        if (command.equals("start")) {
            script("rabbitmq.sh", "start", dir.resolve("rabbitmq"), ports.get("rabbit"), ports.get("rabbit-dist"));
        } else {
            script("rabbitmq.sh", command, dir.resolve("rabbitmq"));
        }
    }

    void redis(String command) throws Exception {
        if (command.equals("start")) {
            script("redis.sh", "start", dir.resolve("redis"), ports.get("redis"), "--persistent");
        } else {
            script("redis.sh", command, dir.resolve("redis"));
        }
    }

    int brokerPort() {
        return Integer.parseInt(ports.get("rabbit"));
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + ports.get("postgres") + "/celeriac";
    }

    /** Starts the packaged app with these settings and waits until it is ready; returns its HTTP port. */
    App start(String name, Map<String, String> settings) throws Exception {
        int port = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Dceleriac.broker.host=127.0.0.1", "-Dceleriac.broker.port=" + ports.get("rabbit"),
                "-Dquarkus.redis.hosts=redis://127.0.0.1:" + ports.get("redis"),
                "-Dquarkus.datasource.jdbc.url=" + jdbcUrl(), "-Dquarkus.datasource.username=postgres",
                "-Dquarkus.http.port=" + port, "-Dquarkus.log.level=WARN"));
        settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-jar");
        command.add(root.resolve("target/quarkus-app/quarkus-run.jar").toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start();
        // Whatever happens to the tool, its app processes go with it.
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
        apps.add(process);
        App app = new App(process, port);
        long deadline = System.currentTimeMillis() + 90_000;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited; see " + dir.resolve(name + ".log"));
            }
            try {
                if (app.get("/q/health/ready").statusCode() == 200) {
                    return app;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(name + " did not become ready; see " + dir.resolve(name + ".log"));
    }

    final class App {
        final Process process;
        final int port;

        App(Process process, int port) {
            this.process = process;
            this.port = port;
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> postForm(String path, String form) throws IOException, InterruptedException {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        }

        /** Resident memory of the process, from /proc. */
        long rssMb() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
            return -1;
        }

        /** A counter from the app's Prometheus metrics, summed over its series. */
        double metric(String name, String labelPart) throws IOException, InterruptedException {
            double sum = 0;
            for (String line : get("/q/metrics").body().split("\n")) {
                if (line.startsWith(name + "{") && line.contains(labelPart) || line.startsWith(name + " ")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        }

        void kill() throws InterruptedException {
            process.destroyForcibly().waitFor();
        }

        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Override
    public void close() throws Exception {
        for (Process p : apps) {
            if (p.isAlive()) {
                p.destroy();
                p.waitFor(60, TimeUnit.SECONDS);
            }
        }
        rabbitmq("stop");
        redis("stop");
        script("postgres.sh", "stop", dir.resolve("postgres"));
    }

    void script(String name, Object... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(root.resolve("scripts/lib").resolve(name).toString());
        for (Object a : args) {
            command.add(String.valueOf(a));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("servers.log").toFile())).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(command + " failed; see " + dir.resolve("servers.log"));
        }
    }

    static int freePort() throws IOException {
        for (int i = 0; i < 200; i++) {
            int port = ThreadLocalRandom.current().nextInt(20000, 32000);
            try (ServerSocket s = new ServerSocket(port)) {
                return port;
            } catch (IOException busy) {
                // next
            }
        }
        throw new IOException("no free port");
    }
}
