package io.celeriac.example;

/** A request field that is missing or out of range; answered with 400 naming the field. */
public class BadInputException extends RuntimeException {

    private final String field;

    public BadInputException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }

    /** Reads a required text field, trimmed, of at most {@code maxLength} characters. */
    public static String requireText(String field, String raw, int maxLength) {
        if (raw == null || raw.isBlank()) {
            throw new BadInputException(field, "'" + field + "' is required");
        }
        String value = raw.trim();
        if (value.length() > maxLength) {
            throw new BadInputException(field, "'" + field + "' is at most " + maxLength + " characters, got "
                    + value.length());
        }
        return value;
    }

    /** Reads a whole number from a form field, within bounds. */
    public static long requireLong(String field, String raw, long min, long max) {
        if (raw == null || raw.isBlank()) {
            throw new BadInputException(field, "'" + field + "' is required");
        }
        long value;
        try {
            value = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new BadInputException(field, "'" + field + "' must be a whole number, got '" + raw + "'");
        }
        if (value < min || value > max) {
            throw new BadInputException(field, "'" + field + "' must be between " + min + " and " + max
                    + ", got " + value);
        }
        return value;
    }
}
