package io.celeriac.message;

import java.util.regex.Pattern;

/**
 * What a task id may look like, wherever one comes from (a caller's {@code taskId}, a message on the broker): 1 to
 * 128 characters of letters, digits and {@code . _ : @ -}. Ids become Redis keys, the AMQP {@code message-id} (a
 * short string of at most 255 bytes: a longer one fails the publish) and log lines; braces would move Redis Cluster
 * hash slots, newlines would forge log lines.
 */
public final class TaskIds {

    public static final int MAX_LENGTH = 128;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0," + (MAX_LENGTH - 1) + "}");

    private TaskIds() {
    }

    public static boolean valid(String id) {
        return id != null && VALID.matcher(id).matches();
    }

    /** Why {@code id} is not a task id, or null when it is one. */
    public static String problem(String id) {
        if (id == null || id.isEmpty()) {
            return "a task id must not be empty";
        }
        if (id.length() > MAX_LENGTH) {
            return "a task id has at most " + MAX_LENGTH + " characters, got " + id.length();
        }
        return valid(id) ? null : "a task id holds only letters, digits and . _ : @ - (and starts with a letter "
                + "or digit)";
    }
}
