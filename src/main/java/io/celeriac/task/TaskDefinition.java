package io.celeriac.task;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.stream.Collectors;

import io.quarkus.arc.InjectableBean;

/**
 * A task as the registry knows it: its name, the bean method that runs it, whether its result is kept, and its retry
 * policy and time limits.
 */
public record TaskDefinition(String name, InjectableBean<?> bean, Method method, boolean ignoreResult,
        TaskOptions options) {

    public TaskDefinition(String name, InjectableBean<?> bean, Method method, boolean ignoreResult) {
        this(name, bean, method, ignoreResult, TaskOptions.DEFAULTS);
    }

    public String signature() {
        return name + Arrays.stream(method.getParameters())
                .map(p -> p.getType().getSimpleName() + " " + p.getName())
                .collect(Collectors.joining(", ", "(", ")"));
    }
}
