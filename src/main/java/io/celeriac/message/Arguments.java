package io.celeriac.message;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.nio.channels.Channel;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How task arguments travel: turned into JSON when a task is sent, and bound back to the task method's parameter
 * types when it runs. Both directions fail with a {@link TaskArgumentException} that names the task and argument.
 */
@Singleton
public final class Arguments {

    private final ObjectMapper mapper;
    /** Binding is strict: "5" does not become 5 and 1.5 does not become 1, so a caller's mistake is not hidden. */
    private final ObjectMapper strict;

    public Arguments(ObjectMapper mapper) {
        this.mapper = mapper;
        this.strict = mapper instanceof JsonMapper json
                ? json.rebuild()
                        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                        .build()
                : mapper.copy()
                        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    }

    public ArrayNode encode(String task, List<?> args) {
        ArrayNode json = mapper.createArrayNode();
        for (int i = 0; i < args.size(); i++) {
            json.add(encodeOne(task, "argument " + i, args.get(i)));
        }
        return json;
    }

    public ObjectNode encode(String task, Map<String, ?> kwargs) {
        ObjectNode json = mapper.createObjectNode();
        kwargs.forEach((name, value) -> json.set(name, encodeOne(task, "argument '" + name + "'", value)));
        return json;
    }

    private JsonNode encodeOne(String task, String which, Object value) {
        String refused = refusal(value);
        if (refused != null) {
            throw new TaskArgumentException(which + " of task '" + task + "' " + refused);
        }
        try {
            return mapper.valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new TaskArgumentException(which + " of task '" + task + "' cannot travel as JSON ("
                    + value.getClass().getName() + "): " + rootMessage(e), e);
        }
    }

    /** Values that Jackson might turn into something, but never into what the task will need on another machine. */
    static String refusal(Object value) {
        if (value == null) {
            return null;
        }
        Class<?> type = value.getClass();
        for (Class<?> t = type; t != null && t != Object.class; t = t.getSuperclass()) {
            if (t.isAnnotationPresent(jakarta.persistence.Entity.class)) {
                return "is a JPA entity (" + t.getSimpleName() + "): pass its id and load it inside the task";
            }
        }
        if (type.isSynthetic() || type.getName().contains("$$Lambda") || type.isHidden()) {
            return "is a lambda or method reference (" + type.getName() + "): code cannot travel to a worker";
        }
        if (value instanceof InputStream || value instanceof OutputStream || value instanceof Reader
                || value instanceof Writer || value instanceof Channel || value instanceof Thread
                || value instanceof Iterator<?>) {
            return "is a stream or live resource (" + type.getName() + "): pass the data, or a path or id to it";
        }
        if (value instanceof Class<?>) {
            return "is a Class: pass its name";
        }
        return null;
    }

    /**
     * Binds JSON arguments to the method's parameters: positional args first, then kwargs by parameter name (the
     * project compiles with {@code -parameters}).
     */
    public Object[] bind(String task, Method method, ArrayNode args, ObjectNode kwargs) {
        Parameter[] params = method.getParameters();
        int total = args.size() + kwargs.size();
        if (args.size() > params.length || total != params.length) {
            throw new TaskArgumentException("task '" + task + "' takes " + params.length + " argument"
                    + (params.length == 1 ? "" : "s") + " " + names(params) + ", got " + describe(args, kwargs));
        }
        Object[] bound = new Object[params.length];
        for (int i = 0; i < params.length; i++) {
            Parameter p = params[i];
            JsonNode value;
            if (i < args.size()) {
                value = args.get(i);
                if (kwargs.has(p.getName())) {
                    throw new TaskArgumentException("task '" + task + "' got argument '" + p.getName() + "' twice");
                }
            } else {
                value = kwargs.get(p.getName());
                if (value == null) {
                    throw new TaskArgumentException("task '" + task + "' is missing argument '" + p.getName()
                            + "'; kwargs were " + kwargs.properties().stream().map(Map.Entry::getKey).toList());
                }
            }
            try {
                bound[i] = strict.convertValue(value, strict.constructType(p.getParameterizedType()));
            } catch (IllegalArgumentException e) {
                throw new TaskArgumentException("argument '" + p.getName() + "' of task '" + task + "' expects "
                        + p.getParameterizedType().getTypeName() + ", got " + value + ": " + rootMessage(e), e);
            }
        }
        return bound;
    }

    private static String names(Parameter[] params) {
        return Arrays.stream(params).map(Parameter::getName).collect(Collectors.joining(", ", "(", ")"));
    }

    private static String describe(ArrayNode args, ObjectNode kwargs) {
        return args.size() + " positional" + (kwargs.isEmpty() ? "" : " and kwargs "
                + kwargs.properties().stream().map(Map.Entry::getKey).toList());
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
