package io.celeriac.worker;

import java.lang.reflect.InvocationTargetException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.control.ActivateRequestContext;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.jboss.logging.Logger;

import io.celeriac.config.CeleriacConfig;
import io.celeriac.config.Node;
import io.celeriac.message.Arguments;
import io.celeriac.message.TaskMessage;
import io.celeriac.result.ResultStore;
import io.celeriac.task.TaskContext;
import io.celeriac.task.TaskDefinition;
import io.quarkus.arc.Arc;
import io.quarkus.arc.InstanceHandle;
import io.quarkus.narayana.jta.QuarkusTransaction;

/**
 * Runs one task the way Flask's app context does for Celery: inside a request context of its own (so request-scoped
 * beans such as {@link TaskContext} and the Hibernate session belong to this task alone) and a transaction that
 * commits when the task returns and rolls back when it throws. Then records the outcome in the result store.
 */
@ApplicationScoped
public class TaskRunner {

    private static final Logger LOG = Logger.getLogger(TaskRunner.class);

    private final Arguments arguments;
    private final ResultStore results;
    private final TaskContext context;
    private final ObjectMapper mapper;
    private final CeleriacConfig config;
    private final ObjectNode workerInfo;

    public TaskRunner(Arguments arguments, ResultStore results, TaskContext context, ObjectMapper mapper,
            CeleriacConfig config) {
        this.arguments = arguments;
        this.results = results;
        this.context = context;
        this.mapper = mapper;
        this.config = config;
        this.workerInfo = mapper.createObjectNode().put("pid", ProcessHandle.current().pid()).put("hostname", Node.hostname());
    }

    /**
     * Runs the task and stores its outcome. A failure of the task itself is an outcome, not an exception; what
     * escapes is a failure to record the outcome (the result store is down), which the caller must not ack.
     */
    @ActivateRequestContext
    public void run(TaskDefinition task, TaskMessage message) {
        boolean tracked = !message.ignoreResult();
        context.enter(message.id(), task.name(), message.retries(), message.ignoreResult());
        if (tracked) {
            results.started(message.id(), task.name(), workerInfo);
        }
        long start = System.nanoTime();
        JsonNode value;
        try {
            Object[] args = arguments.bind(task.name(), task.method(), message.args(), message.kwargs());
            Object returned = QuarkusTransaction.requiringNew().call(() -> invoke(task, args));
            value = mapper.valueToTree(returned);
        } catch (Throwable thrown) {
            Throwable error = thrown instanceof TaskThrew t ? t.getCause() : thrown;
            LOG.warnf("task %s[%s] failed after %d ms: %s", task.name(), message.id(), elapsedMillis(start), error);
            if (tracked || config.taskStoreErrorsEvenIfIgnored()) {
                results.failed(message.id(), task.name(), error);
            }
            if (error instanceof Error fatal && !(fatal instanceof StackOverflowError)) {
                throw fatal;
            }
            return;
        }
        LOG.debugf("task %s[%s] succeeded in %d ms", task.name(), message.id(), elapsedMillis(start));
        if (tracked) {
            results.succeeded(message.id(), task.name(), value);
        } else {
            results.forget(message.id());
        }
    }

    private static Object invoke(TaskDefinition task, Object[] args) {
        try (InstanceHandle<?> bean = Arc.container().instance(task.bean())) {
            return task.method().invoke(bean.get(), args);
        } catch (InvocationTargetException e) {
            throw new TaskThrew(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot call task method " + task.method(), e);
        }
    }

    private static long elapsedMillis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** Carries what the task method threw through the transaction boundary, which rolls back on it. */
    private static final class TaskThrew extends RuntimeException {
        TaskThrew(Throwable cause) {
            super(cause);
        }
    }
}
