package io.celeriac.example;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.celeriac.task.Task;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * The guide's advice made concrete: the task gets a user id, not a user, and loads the user itself inside the
 * worker's transaction.
 */
@ApplicationScoped
@RegisterForReflection(methods = true)
public class UserArchiveTask {

    private final Path directory;
    private final ObjectMapper mapper;

    public UserArchiveTask(@ConfigProperty(name = "example.archive-dir") Path directory, ObjectMapper mapper) {
        this.directory = directory;
        this.mapper = mapper;
    }

    public record Archive(long userId, String path, long size) {
    }

    @Task(name = "generate_user_archive", result = Task.Result.KEEP)
    public Archive generateUserArchive(long userId) throws IOException {
        User user = User.findById(userId);
        if (user == null) {
            throw new IllegalArgumentException("no user with id " + userId);
        }
        Files.createDirectories(directory);
        Path zip = directory.resolve("user-" + userId + "-" + System.currentTimeMillis() + ".zip").toAbsolutePath();
        try (OutputStream file = Files.newOutputStream(zip); ZipOutputStream out = new ZipOutputStream(file)) {
            out.putNextEntry(new ZipEntry("user.json"));
            out.write(mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(new UserData(user.id, user.name,
                    user.email, Instant.now().toString())));
            out.closeEntry();
            out.putNextEntry(new ZipEntry("README.txt"));
            out.write(("Data archive of " + user.name + "\n").getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return new Archive(userId, zip.toString(), Files.size(zip));
    }

    public record Bundle(String path, long size, int archives) {
    }

    /** The last stage of archiving every user: one file holding each user's archive. */
    @Task(name = "bundle_user_archives", result = Task.Result.KEEP)
    public Bundle bundle(List<Archive> archives) throws IOException {
        Files.createDirectories(directory);
        Path bundle = directory.resolve("all-users-" + System.currentTimeMillis() + ".zip").toAbsolutePath();
        try (OutputStream file = Files.newOutputStream(bundle); ZipOutputStream out = new ZipOutputStream(file)) {
            for (Archive archive : archives) {
                out.putNextEntry(new ZipEntry(Path.of(archive.path()).getFileName().toString()));
                Files.copy(Path.of(archive.path()), out);
                out.closeEntry();
            }
        }
        return new Bundle(bundle.toString(), Files.size(bundle), archives.size());
    }

    @RegisterForReflection
    public record UserData(long id, String name, String email, String exportedAt) {
    }
}
