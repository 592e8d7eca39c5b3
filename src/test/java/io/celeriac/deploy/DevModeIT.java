package io.celeriac.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.celeriac.testing.LocalServer;

/**
 * Dev mode as a new user meets it, on a copy of the project: nothing runs, {@code ./mvnw quarkus:dev} alone starts
 * RabbitMQ and Redis for itself, the seed's forms work, an edit to a task's code changes what the next task does
 * without restarting those servers, and they stop when dev mode ends.
 */
class DevModeIT {

    private static final Pattern RESULT_ID = Pattern.compile("\"result_id\"\\s*:\\s*\"([^\"]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Path project = Path.of("target", "devmode", "project").toAbsolutePath();
    private final int httpPort = LocalServer.freePort();
    private final int brokerPort = LocalServer.freePort();
    private final int redisPort = LocalServer.freePort();

    @Test
    void devModeStartsItsServersReloadsATaskAndStopsThemWhenItEnds() throws Exception {
        copyProject();
        assertFalse(answers(brokerPort) || answers(redisPort), "nothing runs on the ports before dev mode");
        Path log = project.resolve("dev.log");
        Process dev = new ProcessBuilder(project.resolve("mvnw").toString(), "-B", "quarkus:dev",
                "-Dquarkus.http.port=" + httpPort, "-Dceleriac.broker.port=" + brokerPort,
                "-Dquarkus.redis.hosts=redis://localhost:" + redisPort, "-Dquarkus.console.enabled=false",
                "-Dquarkus.analytics.disabled=true", "-Ddebug=false")
                .directory(project.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            await("dev mode serves the page").atMost(Duration.ofMinutes(6)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> status("/") == 200);
            assertTrue(answers(brokerPort) && answers(redisPort), "dev mode started RabbitMQ and Redis");
            assertTrue(Files.readString(log).contains("dev services: RabbitMQ on 127.0.0.1:" + brokerPort),
                    "the log says where they run");
            String brokerPid = Files.readString(project.resolve(".celeriac/services/rabbitmq/wrapper.pid")).trim();

            assertEquals("5", valueOf(add(2, 3)));
            everyOtherFormWorks();

            Path tasks = project.resolve("src/main/java/io/celeriac/example/ExampleTasks.java");
            Files.writeString(tasks, Files.readString(tasks).replace("return a + b;", "return a + b + 100;"));
            // Dev mode looks for changes on a request, at most every 2 s: a page request after that reloads. The
            // task sent at once after the reload runs the new code (the reloaded app was once handed the worker
            // pool the reload had shut down, and refused every task: see the README).
            Thread.sleep(2500);
            await("the reload").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                    .until(() -> status("/") == 200 && Files.readString(log).contains("Live reload total time"));
            assertEquals("105", valueOf(add(2, 3)));
            assertEquals("106", valueOf(add(3, 3)), "and the task after it");
            assertEquals(brokerPid, Files.readString(project.resolve(".celeriac/services/rabbitmq/wrapper.pid"))
                    .trim(), "the broker was not restarted by the reload");
            assertFalse(Files.readString(log).contains("outbox sweep failed"),
                    "the outbox sweep waits for start-up to create its table");
        } finally {
            dev.toHandle().descendants().forEach(ProcessHandle::destroy);
            dev.destroy();
            dev.waitFor();
        }
        await("the servers stop with dev mode").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> !answers(brokerPort) && !answers(redisPort));
    }

    /** The page's other forms, as the page posts them, against the dev database's seeded users. */
    private void everyOtherFormWorks() throws Exception {
        assertEquals("IGNORED", stateOf(post("/tasks/block", "")), "block: queued, its result not kept");
        assertEquals("SUCCESS", finalStateOf(post("/tasks/process", "total=1")));
        assertEquals("SUCCESS", finalStateOf(post("/users/1/archive", "")));
        assertEquals("SUCCESS", finalStateOf(post("/users", "name=Dev+User&email=dev-" + System.nanoTime()
                + "%40example.org")));
        assertEquals("SUCCESS", finalStateOf(post("/users/archive-all", "")));
    }

    private String post(String path, String form) throws Exception {
        HttpResponse<String> sent = HTTP.send(HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/x-www-form-urlencoded").timeout(Duration.ofMinutes(1))
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, sent.statusCode(), path + ": " + sent.body());
        Matcher id = RESULT_ID.matcher(sent.body());
        assertTrue(id.find(), sent.body());
        return id.group(1);
    }

    private String stateOf(String id) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(uri("/tasks/result/" + id)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher state = Pattern.compile("\"state\":\"([A-Z]+)\"").matcher(body);
        return state.find() ? state.group(1) : body;
    }

    private String finalStateOf(String id) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> stateOf(id), state -> state.equals("SUCCESS") || state.equals("FAILURE"));
    }

    private String add(int a, int b) throws Exception {
        HttpResponse<String> sent = HTTP.send(HttpRequest.newBuilder(uri("/tasks/add"))
                .header("Content-Type", "application/x-www-form-urlencoded").timeout(Duration.ofMinutes(3))
                .POST(HttpRequest.BodyPublishers.ofString("a=" + a + "&b=" + b)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, sent.statusCode(), sent.body());
        Matcher id = RESULT_ID.matcher(sent.body());
        assertTrue(id.find(), sent.body());
        return id.group(1);
    }

    private String valueOf(String id) throws IOException {
        String[] last = {""};
        try {
            return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/tasks/result/" + id)).build(),
                        HttpResponse.BodyHandlers.ofString());
                last[0] = r.body();
                Matcher value = Pattern.compile("\"ready\":true.*\"value\":(\\d+)").matcher(r.body());
                return value.find() ? value.group(1) : null;
            }, v -> v != null);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            List<String> lines = Files.readAllLines(project.resolve("dev.log"));
            throw new AssertionError("task " + id + " did not finish in 30 s, its result answers " + last[0]
                    + "\ndev.log ends with:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 80),
                            lines.size())), e);
        }
    }

    private int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + httpPort + path);
    }

    private static boolean answers(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 300);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The project as a user checks it out: sources, build files and scripts, not the tests or target. */
    private void copyProject() throws IOException {
        if (Files.exists(project)) {
            try (Stream<Path> old = Files.walk(project)) {
                old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        for (String part : List.of("pom.xml", "mvnw", ".mvn", "scripts", "docker", "src/main")) {
            Path from = Path.of(part);
            try (Stream<Path> files = Files.walk(from)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Path to = project.resolve(file.toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(to);
                    } else {
                        Files.createDirectories(to.getParent());
                        Files.copy(file, to, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
    }
}
