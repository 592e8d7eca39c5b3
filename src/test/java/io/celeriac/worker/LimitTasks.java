package io.celeriac.worker;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.celeriac.task.Task;

/** Tasks that return as much as they are asked for, for the size limits. */
@ApplicationScoped
public class LimitTasks {

    @Task(name = "big_text", result = Task.Result.KEEP)
    public String text(int chars) {
        return "x".repeat(chars);
    }

    @Task(name = "big_list", result = Task.Result.KEEP)
    public List<String> list(int items) {
        return java.util.Collections.nCopies(items, "0123456789");
    }
}
