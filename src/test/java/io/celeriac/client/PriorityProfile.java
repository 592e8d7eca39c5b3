package io.celeriac.client;

import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/** Task queues declared with x-max-priority (Celery's task_queue_max_priority), on servers of their own. */
public class PriorityProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("celeriac.task-queue-max-priority", "10");
    }
}
