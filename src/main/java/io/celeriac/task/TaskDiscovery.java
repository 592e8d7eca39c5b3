package io.celeriac.task;

import java.util.LinkedHashSet;
import java.util.Set;

import jakarta.enterprise.inject.build.compatible.spi.BeanInfo;
import jakarta.enterprise.inject.build.compatible.spi.BuildCompatibleExtension;
import jakarta.enterprise.inject.build.compatible.spi.Registration;
import jakarta.enterprise.inject.build.compatible.spi.Synthesis;
import jakarta.enterprise.inject.build.compatible.spi.SyntheticComponents;
import jakarta.enterprise.lang.model.declarations.ClassInfo;
import jakarta.enterprise.lang.model.declarations.MethodInfo;
import jakarta.inject.Singleton;

/**
 * Finds every {@link Task} method of the application's class beans at build time (a CDI Lite build compatible
 * extension, which Quarkus runs during the build from the class index, not by reflection), and hands the list to the
 * running application as {@link DiscoveredTasks}. The registry still reads the methods by reflection at start-up;
 * comparing both is what makes a task that reflection cannot see (in a native image, a bean without
 * {@code @RegisterForReflection(methods = true)}) stop start-up instead of being dead-lettered as unknown.
 */
public class TaskDiscovery implements BuildCompatibleExtension {

    private final Set<String> found = new LinkedHashSet<>();

    @Registration(types = Object.class)
    public void collect(BeanInfo bean) {
        if (!bean.isClassBean()) {
            return;
        }
        for (ClassInfo type = bean.declaringClass(); type != null
                && !type.name().equals(Object.class.getName()); type = type.superClassDeclaration()) {
            for (MethodInfo method : type.methods()) {
                if (method.hasAnnotation(Task.class)) {
                    found.add(DiscoveredTasks.key(bean.declaringClass().name(), method.name()));
                }
            }
        }
    }

    @Synthesis
    public void publish(SyntheticComponents components) {
        components.addBean(DiscoveredTasks.class).type(DiscoveredTasks.class).scope(Singleton.class)
                .withParam(DiscoveredTasks.METHODS, found.toArray(String[]::new))
                .createWith(DiscoveredTasks.Creator.class);
    }
}
