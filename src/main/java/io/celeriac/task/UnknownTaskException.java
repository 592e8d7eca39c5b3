package io.celeriac.task;

/** A task name that no {@link Task} method carries. */
public class UnknownTaskException extends IllegalArgumentException {

    private final String task;

    public UnknownTaskException(String name) {
        super("unknown task '" + name + "': no @Task method has this name");
        this.task = name;
    }

    public String task() {
        return task;
    }
}
