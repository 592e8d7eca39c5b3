package io.celeriac.worker;

import org.jboss.logging.MDC;

import io.celeriac.tracing.TaskTracing;

/**
 * Every log line written while a task runs, by the task or by anything it calls, carries the task: {@code task_id}
 * and {@code task_name} in the MDC (for JSON logs), {@code trace_id} when the task runs in a trace, and
 * {@code celeriac.task}, {@code name[id] }, which the console format prints before the message (empty outside a
 * task).
 */
final class TaskLogContext implements AutoCloseable {

    static final String TASK_ID = "task_id";
    static final String TASK_NAME = "task_name";
    static final String LINE = "celeriac.task";
    static final String TRACE_ID = "trace_id";

    private TaskLogContext() {
    }

    static TaskLogContext enter(String name, String id) {
        MDC.put(TASK_ID, id);
        MDC.put(TASK_NAME, name);
        MDC.put(LINE, name + "[" + id + "] ");
        String trace = TaskTracing.traceId();
        if (trace != null) {
            MDC.put(TRACE_ID, trace);
        }
        return new TaskLogContext();
    }

    @Override
    public void close() {
        MDC.remove(TASK_ID);
        MDC.remove(TASK_NAME);
        MDC.remove(LINE);
        MDC.remove(TRACE_ID);
    }
}
