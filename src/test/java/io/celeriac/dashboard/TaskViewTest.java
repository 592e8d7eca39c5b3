package io.celeriac.dashboard;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.celeriac.client.AsyncResult;
import io.celeriac.client.TaskClient;
import io.celeriac.client.TaskFailedException;
import io.celeriac.task.Task;
import io.celeriac.task.TaskContext;
import io.celeriac.testing.Operators;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** An operator opens one task: what it went through, where, in which trace; an admin also sees and resends its call. */
@QuarkusTest
class TaskViewTest {

    @ApplicationScoped
    public static class ViewTasks {

        @Inject
        TaskContext context;

        @Task(name = "view_steps", result = Task.Result.KEEP)
        public int steps(int count) {
            for (int i = 1; i <= count; i++) {
                context.progress(i, count);
            }
            return count;
        }

        @Task(name = "view_echo", result = Task.Result.KEEP)
        public String echo(String text) {
            return text.length() + " characters";
        }
    }

    @Inject
    TaskClient tasks;

    @Test
    void anAdminSeesTheTimelineOfATaskThatWasRetriedWithItsWorkerTraceAndArguments() {
        String key = UUID.randomUUID().toString();
        AsyncResult<Object> flaky = tasks.sendTask("canvas_flaky", List.of(7, key, 1), Map.of(),
                io.celeriac.client.SendOptions.none());
        assertEquals(7, ((Number) flaky.get(Duration.ofSeconds(20))).intValue());

        JsonPath view = Operators.asAdmin().get("/dashboard/tasks/{id}", flaky.id()).then().statusCode(200).extract()
                .jsonPath();
        assertEquals("SUCCESS", view.getString("state"));
        assertEquals(List.of("PENDING", "STARTED", "RETRY", "STARTED", "SUCCESS"), view.getList("timeline.state"));
        assertEquals(1, view.getInt("retries"));
        assertEquals(7, view.getInt("result"));
        assertTrue(view.getString("worker").contains("pid "), view.getString("worker"));
        assertTrue(view.getString("trace_id").matches("[0-9a-f]{32}"), view.getString("trace_id"));
        assertEquals(List.of(7, key, 1), view.getList("args"));
        assertNull(view.get("timeline[1].args"), "the call is shown once, not in every entry");
    }

    @Test
    void aViewerSeesTheTaskButNotItsArguments() {
        AsyncResult<String> echo = tasks.delay("view_echo", "a secret address");
        echo.get(Duration.ofSeconds(15));
        JsonPath view = Operators.asViewer().get("/dashboard/tasks/{id}", echo.id()).then().statusCode(200)
                .extract().jsonPath();
        assertEquals("16 characters", view.getString("result"));
        assertTrue(view.getBoolean("call_kept"));
        assertFalse(view.getMap("").containsKey("args"));
        assertFalse(view.prettify().contains("secret"), view.prettify());
    }

    @Test
    void progressReportedAHundredTimesIsOneEntryOfTheTimeline() {
        AsyncResult<Integer> steps = tasks.delay("view_steps", 100);
        assertEquals(100, steps.get(Duration.ofSeconds(15)));
        JsonPath view = Operators.asViewer().get("/dashboard/tasks/{id}", steps.id()).then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("PENDING", "STARTED", "PROGRESS", "SUCCESS"), view.getList("timeline.state"));
    }

    @Test
    void anAdminSendsAFailedTaskAgainWithTheSameArgumentsUnderANewId() {
        AsyncResult<Object> failed = tasks.sendTask("canvas_fail", List.of("disk full"), Map.of(),
                io.celeriac.client.SendOptions.none());
        try {
            failed.get(Duration.ofSeconds(15));
        } catch (TaskFailedException expected) {
            // as it should
        }
        String again = Operators.asAdmin().post("/dashboard/tasks/{id}/retry", failed.id()).then().statusCode(200)
                .extract().path("result_id");
        assertFalse(again.equals(failed.id()));
        await().atMost(Duration.ofSeconds(15)).until(() -> "FAILURE".equals(Operators.asViewer()
                .get("/dashboard/tasks/{id}", again).then().extract().path("state")));
        JsonPath retried = Operators.asAdmin().get("/dashboard/tasks/{id}", again).then().extract().jsonPath();
        assertEquals(List.of("disk full"), retried.getList("args"));
        assertTrue(retried.getString("traceback").contains("disk full"));
    }

    @Test
    void aForgottenResultTakesItsTimelineAndArgumentsWithIt() {
        AsyncResult<String> echo = tasks.delay("view_echo", "forget me");
        echo.get(Duration.ofSeconds(15));
        Operators.asAdmin().get("/dashboard/tasks/{id}", echo.id()).then().statusCode(200);
        echo.forget();
        Operators.asAdmin().get("/dashboard/tasks/{id}", echo.id()).then().statusCode(404);
    }

    @Test
    void aTaskIsSentAgainToTheQueueItRanFrom() {
        AsyncResult<Object> routed = tasks.sendTask("view_echo", List.of("elsewhere"), Map.of(),
                io.celeriac.client.SendOptions.none().queue("celeriac-second"));
        routed.get(Duration.ofSeconds(15));
        String again = Operators.asAdmin().post("/dashboard/tasks/{id}/retry", routed.id()).then().statusCode(200)
                .extract().path("result_id");
        await().atMost(Duration.ofSeconds(15)).until(() -> "SUCCESS".equals(Operators.asViewer()
                .get("/dashboard/tasks/{id}", again).then().extract().path("state")));
        assertEquals("celeriac-second", Operators.asViewer().get("/dashboard/tasks/{id}", again).then().extract()
                .path("timeline.find { it.state == 'STARTED' }.queue"));
    }

    @Test
    void onlyAFinishedTaskWithItsArgumentsKeptCanBeSentAgain() {
        AsyncResult<Object> sleeping = tasks.sendTask("canvas_sleep", List.of(3000), Map.of(),
                io.celeriac.client.SendOptions.none());
        await().atMost(Duration.ofSeconds(10)).until(() -> "STARTED".equals(Operators.asViewer()
                .get("/dashboard/tasks/{id}", sleeping.id()).then().extract().path("state")));
        Operators.asAdmin().post("/dashboard/tasks/{id}/retry", sleeping.id()).then().statusCode(409)
                .body("error", containsString("STARTED"));

        String large = "x".repeat(20_000);
        AsyncResult<String> echo = tasks.delay("view_echo", large);
        echo.get(Duration.ofSeconds(15));
        JsonPath view = Operators.asAdmin().get("/dashboard/tasks/{id}", echo.id()).then().statusCode(200)
                .extract().jsonPath();
        assertFalse(view.getBoolean("call_kept"));
        assertTrue(view.getInt("timeline[1].args_size") > 20_000);
        Operators.asAdmin().post("/dashboard/tasks/{id}/retry", echo.id()).then().statusCode(409)
                .body("error", containsString("not kept"));

        Operators.asAdmin().get("/dashboard/tasks/{id}", UUID.randomUUID().toString()).then().statusCode(404);
        Operators.asAdmin().get("/dashboard/tasks/{id}", "not an id!").then().statusCode(400)
                .body("field", org.hamcrest.Matchers.equalTo("id"));
    }
}
