package io.celeriac.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The integration tests start the native executable when the build made one, else the JVM jar. */
class AppProcessTest {

    @AfterEach
    void clear() {
        System.clearProperty("native.image.path");
    }

    @Test
    void aBuiltNativeRunnerIsWhatTheTestsStart() throws Exception {
        Path runner = Files.createTempFile("celeriac-", "-runner");
        assertTrue(runner.toFile().setExecutable(true));
        System.setProperty("native.image.path", runner.toString());
        assertEquals(Optional.of(runner.toAbsolutePath()), AppProcess.nativeRunner());
        Files.delete(runner);
    }

    @Test
    void withoutANativeBuildTheJvmJarIsStarted() {
        // failsafe always names the runner's path; in a JVM build there is no file there.
        System.setProperty("native.image.path", "target/celeriac-0.1.0-SNAPSHOT-runner-that-was-never-built");
        assertEquals(Optional.empty(), AppProcess.nativeRunner());
        System.clearProperty("native.image.path");
        assertEquals(Optional.empty(), AppProcess.nativeRunner());
    }
}
