package io.celeriac.task;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.celeriac.config.CeleriacConfig;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.runtime.Startup;
import io.quarkus.arc.Arc;
import io.quarkus.arc.InjectableBean;

/**
 * Every {@link Task} method of the application's beans, by name. Built once from the CDI container (not by
 * classpath scanning), so the same lookup works in a native image.
 * <p>
 * The {@code @Any Instance<Object>} injection point is what keeps task beans alive: ArC removes beans that nothing
 * injects, and a task bean is only ever reached through this registry. It costs the unused-bean optimisation for the
 * whole application; a Quarkus extension would instead mark just the beans with {@code @Task} methods at build time.
 */
@Startup
@Singleton
public class TaskRegistry {

    private final Map<String, TaskDefinition> tasks;

    TaskRegistry(CeleriacConfig config, @Any InjectableInstance<Object> keepsTaskBeans, DiscoveredTasks discovered) {
        Map<String, TaskDefinition> found = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        for (Bean<?> candidate : Arc.container().beanManager().getBeans(Object.class, Any.Literal.INSTANCE)) {
            InjectableBean<?> bean = (InjectableBean<?>) candidate;
            // A producer method or field reports its declaring class as bean class: calling a task method on the
            // produced object would fail, so only class beans carry tasks.
            if (bean.getKind() != InjectableBean.Kind.CLASS) {
                continue;
            }
            for (Class<?> type = bean.getBeanClass(); type != null && type != Object.class; type = type.getSuperclass()) {
                for (Method method : type.getDeclaredMethods()) {
                    Task task = method.getAnnotation(Task.class);
                    if (task == null || method.isSynthetic()) {
                        continue;
                    }
                    if (!Modifier.isPublic(method.getModifiers()) || Modifier.isStatic(method.getModifiers())) {
                        throw new IllegalStateException("@Task method " + type.getName() + "." + method.getName()
                                + " must be public and not static");
                    }
                    seen.add(DiscoveredTasks.key(bean.getBeanClass().getName(), method.getName()));
                    String name = task.name().isBlank() ? method.getName() : task.name();
                    boolean ignore = switch (task.result()) {
                        case KEEP -> false;
                        case IGNORE -> true;
                        case DEFAULT -> config.taskIgnoreResult();
                    };
                    TaskDefinition previous = found.put(name,
                            new TaskDefinition(name, bean, method, ignore,
                            TaskOptions.of(task, "@Task method " + type.getName() + "." + method.getName())));
                    if (previous != null && !previous.method().equals(method)) {
                        throw new IllegalStateException("two @Task methods are named '" + name + "': "
                                + previous.method() + " and " + method);
                    }
                }
            }
        }
        Set<String> missing = missing(discovered.methods(), seen);
        if (!missing.isEmpty()) {
            // A task the build saw but reflection cannot: every message for it would be dead-lettered as unknown.
            throw new IllegalStateException("@Task methods found at build time are not visible at run time: "
                    + missing + ". In a native image, annotate their beans with "
                    + "@RegisterForReflection(methods = true)");
        }
        this.tasks = Collections.unmodifiableMap(found);
        Logger.getLogger(TaskRegistry.class).infof("tasks: %s", found.keySet());
    }

    /** The build-time task methods ({@code class#method}) that the run-time scan did not find. */
    static Set<String> missing(Set<String> discovered, Set<String> seen) {
        Set<String> missing = new TreeSet<>(discovered);
        missing.removeAll(seen);
        return missing;
    }

    public Optional<TaskDefinition> find(String name) {
        return Optional.ofNullable(tasks.get(name));
    }

    public TaskDefinition get(String name) {
        return find(name).orElseThrow(() -> new UnknownTaskException(name));
    }

    public Collection<TaskDefinition> all() {
        return tasks.values();
    }
}
