package io.celeriac.task;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.stream.Collectors;

import io.quarkus.arc.InjectableBean;

/** A task as the registry knows it: its name, the bean method that runs it, and whether its result is kept. */
public record TaskDefinition(String name, InjectableBean<?> bean, Method method, boolean ignoreResult) {

    public String signature() {
        return name + Arrays.stream(method.getParameters())
                .map(p -> p.getType().getSimpleName() + " " + p.getName())
                .collect(Collectors.joining(", ", "(", ")"));
    }
}
