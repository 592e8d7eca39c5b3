package io.celeriac.worker;

import org.jboss.logging.MDC;

/**
 * Every log line written while a task runs, by the task or by anything it calls, carries the task: {@code task_id}
 * and {@code task_name} in the MDC (for JSON logs), and {@code celeriac.task}, {@code name[id] }, which the console
 * format prints before the message (empty outside a task).
 */
final class TaskLogContext implements AutoCloseable {

    static final String TASK_ID = "task_id";
    static final String TASK_NAME = "task_name";
    static final String LINE = "celeriac.task";

    private TaskLogContext() {
    }

    static TaskLogContext enter(String name, String id) {
        MDC.put(TASK_ID, id);
        MDC.put(TASK_NAME, name);
        MDC.put(LINE, name + "[" + id + "] ");
        return new TaskLogContext();
    }

    @Override
    public void close() {
        MDC.remove(TASK_ID);
        MDC.remove(TASK_NAME);
        MDC.remove(LINE);
    }
}
