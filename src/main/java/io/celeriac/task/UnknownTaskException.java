package io.celeriac.task;

/** A task name that no {@link Task} method carries. */
public class UnknownTaskException extends IllegalArgumentException {

    public UnknownTaskException(String name) {
        super("unknown task '" + name + "': no @Task method has this name");
    }
}
