package io.celeriac.client;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.task.Task;

/** Tasks routed away from the default queue, which no worker of the tests consumes. */
@ApplicationScoped
public class RoutingTasks {

    @Task(name = "routed_report", queue = "reports", priority = 3)
    public void report(int month) {
    }

    @Task(name = "routed.by_config")
    public void byConfig() {
    }
}
