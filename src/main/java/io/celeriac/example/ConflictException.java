package io.celeriac.example;

/** A request that clashes with what exists (a taken email); answered with 409 naming the field. */
public class ConflictException extends RuntimeException {

    private final String field;

    public ConflictException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
