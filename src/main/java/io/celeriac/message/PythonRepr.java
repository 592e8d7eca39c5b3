package io.celeriac.message;

import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * JSON values written the way Python's {@code repr} writes them, for the {@code argsrepr} and {@code kwargsrepr}
 * headers that Celery's logs, events and Flower show: {@code (2, 4)}, {@code {'z': 1}}, {@code None}. Cut at Celery's
 * {@code argsrepr_maxsize} (1024), since the real arguments travel in the body anyway.
 */
public final class PythonRepr {

    static final int MAX = 1024;

    private PythonRepr() {
    }

    /** Positional arguments as a tuple. */
    public static String args(JsonNode args) {
        StringBuilder out = new StringBuilder("(");
        int i = 0;
        for (JsonNode arg : args) {
            if (i++ > 0) {
                out.append(", ");
            }
            value(arg, out);
            if (out.length() > MAX) {
                break;
            }
        }
        if (i == 1) {
            out.append(',');
        }
        return cut(out.append(')'));
    }

    public static String of(JsonNode value) {
        StringBuilder out = new StringBuilder();
        value(value, out);
        return cut(out);
    }

    private static String cut(StringBuilder out) {
        return out.length() > MAX ? out.substring(0, MAX - 3) + "..." : out.toString();
    }

    private static void value(JsonNode node, StringBuilder out) {
        if (out.length() > MAX) {
            return;
        }
        switch (node.getNodeType()) {
            case NULL, MISSING -> out.append("None");
            case BOOLEAN -> out.append(node.booleanValue() ? "True" : "False");
            case NUMBER -> out.append(node.asText());
            case STRING -> string(node.textValue(), out);
            case ARRAY -> {
                out.append('[');
                int i = 0;
                for (JsonNode item : node) {
                    if (i++ > 0) {
                        out.append(", ");
                    }
                    value(item, out);
                }
                out.append(']');
            }
            case OBJECT -> {
                out.append('{');
                Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
                while (fields.hasNext()) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    string(field.getKey(), out);
                    out.append(": ");
                    value(field.getValue(), out);
                    if (fields.hasNext()) {
                        out.append(", ");
                    }
                }
                out.append('}');
            }
            default -> out.append(node.toString());
        }
    }

    private static void string(String text, StringBuilder out) {
        char quote = text.indexOf('\'') >= 0 && text.indexOf('"') < 0 ? '"' : '\'';
        out.append(quote);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c == quote) {
                        out.append('\\');
                    }
                    out.append(c);
                }
            }
        }
        out.append(quote);
    }
}
