package io.celeriac.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Starts and stops a server through the project's own scripts in scripts/lib, so tests run their brokers exactly as
 * scripts/services does, on private free ports.
 */
public final class LocalServer {

    private LocalServer() {
    }

    public static Path scripts() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("scripts/lib"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("scripts/lib not found above " + Path.of("").toAbsolutePath());
        }
        return dir.resolve("scripts/lib");
    }

    static Path workDir(String name) {
        try {
            return Files.createDirectories(Path.of("target", "servers", name + "-" + ProcessHandle.current().pid()
                    + "-" + System.nanoTime())).toAbsolutePath();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A free port below the ephemeral range: quick restarts in 32768+ sometimes hit eaddrinuse with RabbitMQ. */
    public static int freePort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20000, 32000);
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
                return port;
            } catch (IOException busy) {
                // try another
            }
        }
        throw new IllegalStateException("no free port found");
    }

    public static void run(String script, Object... args) {
        run(ProcessBuilder.Redirect.INHERIT, script, args);
    }

    /** Runs a script of scripts/lib and answers what it printed; fails unless it exits 0 within 120 s. */
    public static String output(String script, Object... args) {
        try {
            Path out = Files.createTempFile("celeriac-script", ".txt");
            try {
                run(ProcessBuilder.Redirect.to(out.toFile()), script, args);
                return Files.readString(out);
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a script of scripts/lib, its output going to {@code output}; fails unless it exits 0 within 120 s. */
    public static void run(ProcessBuilder.Redirect output, String script, Object... args) {
        List<String> command = new ArrayList<>();
        command.add(scripts().resolve(script).toString());
        for (Object arg : args) {
            command.add(String.valueOf(arg));
        }
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " did not finish in 120 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(command + " failed with exit code " + process.exitValue());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
