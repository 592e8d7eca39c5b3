package io.celeriac.task;

import java.util.Set;

import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.build.compatible.spi.Parameters;
import jakarta.enterprise.inject.build.compatible.spi.SyntheticBeanCreator;

/** The {@link Task} methods {@link TaskDiscovery} found at build time, as {@code bean class#method}. */
public final class DiscoveredTasks {

    static final String METHODS = "methods";

    private final Set<String> methods;

    DiscoveredTasks(Set<String> methods) {
        this.methods = Set.copyOf(methods);
    }

    public Set<String> methods() {
        return methods;
    }

    static String key(String beanClass, String method) {
        return beanClass + "#" + method;
    }

    public static final class Creator implements SyntheticBeanCreator<DiscoveredTasks> {
        @Override
        public DiscoveredTasks create(Instance<Object> lookup, Parameters params) {
            return new DiscoveredTasks(Set.of(params.get(METHODS, String[].class)));
        }
    }
}
