package io.celeriac.example;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** What {@code process} returns and reports as progress, as the guide's {@code {"current": i, "total": n}}. */
@RegisterForReflection
public record Processed(int current, int total) {
}
