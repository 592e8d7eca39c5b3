package io.celeriac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** The task machinery must be liftable into a Quarkus extension: it never depends on the example app. */
class MachineryIndependenceTest {

    @Test
    void machineryNeverReferencesTheExampleApp() throws IOException {
        Path root = Path.of("src/main/java/io/celeriac");
        List<Path> machinery = javaFiles(root).stream().filter(p -> !p.startsWith(root.resolve("example"))).toList();
        assertTrue(machinery.size() > 10, "machinery sources not found: " + machinery);
        List<Path> offenders = machinery.stream().filter(p -> read(p).contains("io.celeriac.example")).toList();
        assertEquals(List.of(), offenders);
    }

    @Test
    void theAppUsesTheClientsApiNotTheResultStoresStateMachine() throws IOException {
        List<Path> offenders = javaFiles(Path.of("src/main/java/io/celeriac/example")).stream()
                .filter(p -> read(p).contains("io.celeriac.result.ResultStore")).toList();
        assertEquals(List.of(), offenders, "results are read through AsyncResult (TaskClient.result)");
    }

    private static List<Path> javaFiles(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".java")).toList();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
