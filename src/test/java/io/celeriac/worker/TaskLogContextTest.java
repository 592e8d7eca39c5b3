package io.celeriac.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import io.celeriac.client.AsyncResult;
import io.celeriac.client.TaskClient;
import io.celeriac.task.Task;
import io.quarkus.test.junit.QuarkusTest;

/** A line a task logs names the task, whatever logger writes it. */
@QuarkusTest
class TaskLogContextTest {

    @ApplicationScoped
    public static class ReportTasks {

        private static final Logger LOG = Logger.getLogger(ReportTasks.class);

        @Task(name = "logs_its_work", result = Task.Result.KEEP)
        public String report(String quarter) {
            LOG.infof("writing the report for %s", quarter);
            return quarter;
        }
    }

    @Inject
    TaskClient tasks;

    @Test
    void aLineLoggedByATaskCarriesItsIdAndName() {
        List<ExtLogRecord> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record instanceof ExtLogRecord line && String.valueOf(record.getMessage()).contains("writing the "
                        + "report")) {
                    // The MDC is the logging thread's: taken now, not when the test reads it.
                    line.copyAll();
                    lines.add(line);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(capture);
        try {
            AsyncResult<String> report = tasks.delay("logs_its_work", "Q3");
            assertEquals("Q3", report.get(Duration.ofSeconds(15)));
            await().atMost(Duration.ofSeconds(5)).until(() -> !lines.isEmpty());
            ExtLogRecord line = lines.get(0);
            assertEquals(report.id(), line.getMdc("task_id"));
            assertEquals("logs_its_work", line.getMdc("task_name"));
            assertEquals("logs_its_work[" + report.id() + "] ", line.getMdc("celeriac.task"));
            assertTrue(String.valueOf(line.getMdc("trace_id")).matches("[0-9a-f]{32}"),
                    "and its trace, though no collector samples it: " + line.getMdc("trace_id"));
        } finally {
            root.removeHandler(capture);
        }
    }
}
