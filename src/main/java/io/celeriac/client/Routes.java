package io.celeriac.client;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import jakarta.inject.Singleton;

import io.celeriac.config.CeleriacConfig;

/**
 * Which queue a task goes to, as Celery's router decides: the call's own {@code queue}, else
 * {@code celeriac.task-routes} (a route naming the task exactly, else the most specific glob, the longest, that
 * matches), else the task's {@code @Task(queue)}, else the default queue. Works for any task name, also for tasks this
 * application does not define.
 */
@Singleton
public class Routes {

    private final Map<String, String> routes;
    private final String defaultQueue;

    @jakarta.inject.Inject
    public Routes(CeleriacConfig config) {
        this(config.taskRoutes(), config.broker().queue());
    }

    Routes(Map<String, String> routes, String defaultQueue) {
        this.routes = routes;
        this.defaultQueue = defaultQueue;
    }

    public String queue(String task, Optional<String> perCall, Optional<String> declared) {
        if (perCall.isPresent()) {
            return perCall.get();
        }
        String exact = routes.get(task);
        if (exact != null) {
            return exact;
        }
        String best = null;
        for (String pattern : routes.keySet()) {
            if (pattern.contains("*") && (best == null || pattern.length() > best.length())
                    && glob(pattern).matcher(task).matches()) {
                best = pattern;
            }
        }
        if (best != null) {
            return routes.get(best);
        }
        return declared.orElse(defaultQueue);
    }

    private static Pattern glob(String pattern) {
        StringBuilder regex = new StringBuilder();
        String[] parts = pattern.split("\\*", -1);
        for (int i = 0; i < parts.length; i++) {
            regex.append(i > 0 ? ".*" : "").append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(regex.toString());
    }
}
