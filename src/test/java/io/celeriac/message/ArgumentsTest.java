package io.celeriac.message;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import jakarta.persistence.Entity;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

class ArgumentsTest {

    private final JsonMapper mapper = JsonMapper.builder().findAndAddModules().build();
    private final Arguments arguments = new Arguments(mapper);

    @SuppressWarnings("unused")
    static class Tasks {
        public int add(int a, int b) {
            return a + b;
        }

        public String greet(String name, List<Long> ids, Point at) {
            return name;
        }
    }

    public record Point(int x, int y) {
    }

    @Entity
    static class Customer {
        public long id = 7;
    }

    static class CustomerProxy extends Customer {
    }

    private static Method method(String name) {
        for (Method m : Tasks.class.getMethods()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new AssertionError(name);
    }

    private ArrayNode json(String array) throws Exception {
        return (ArrayNode) mapper.readTree(array);
    }

    private ObjectNode kwargs(String object) throws Exception {
        return (ObjectNode) mapper.readTree(object);
    }

    @Test
    void bindsPositionalArgumentsToParameterTypes() throws Exception {
        Object[] bound = arguments.bind("greet", method("greet"), json("[\"ada\", [1, 2], {\"x\": 3, \"y\": 4}]"),
                kwargs("{}"));
        assertArrayEquals(new Object[] { "ada", List.of(1L, 2L), new Point(3, 4) }, bound);
    }

    @Test
    void bindsKeywordArgumentsByParameterName() throws Exception {
        assertArrayEquals(new Object[] { 2, 4 },
                arguments.bind("add", method("add"), json("[2]"), kwargs("{\"b\": 4}")));
        assertArrayEquals(new Object[] { 2, 4 },
                arguments.bind("add", method("add"), json("[]"), kwargs("{\"b\": 4, \"a\": 2}")));
    }

    @Test
    void refusesAWrongArgumentCountNamingTheParameters() {
        var e = assertThrows(TaskArgumentException.class,
                () -> arguments.bind("add", method("add"), json("[1, 2, 3]"), kwargs("{}")));
        assertEquals("task 'add' takes 2 arguments (a, b), got 3 positional", e.getMessage());
        assertThrows(TaskArgumentException.class,
                () -> arguments.bind("add", method("add"), json("[1]"), kwargs("{}")));
        var missing = assertThrows(TaskArgumentException.class,
                () -> arguments.bind("add", method("add"), json("[1]"), kwargs("{\"c\": 2}")));
        assertTrue(missing.getMessage().contains("missing argument 'b'"), missing.getMessage());
        var twice = assertThrows(TaskArgumentException.class,
                () -> arguments.bind("add", method("add"), json("[1]"), kwargs("{\"a\": 2}")));
        assertTrue(twice.getMessage().contains("argument 'a' twice"), twice.getMessage());
    }

    @Test
    void refusesValuesOfTheWrongTypeInsteadOfCoercingThem() {
        for (String args : List.of("[\"2\", 4]", "[2.5, 4]", "[null, 4]", "[[2], 4]", "[true, 4]")) {
            var e = assertThrows(TaskArgumentException.class,
                    () -> arguments.bind("add", method("add"), json(args), kwargs("{}")), args);
            assertTrue(e.getMessage().startsWith("argument 'a' of task 'add' expects int, got "), e.getMessage());
        }
    }

    @Test
    void encodesPlainValuesAsJson() {
        ArrayNode json = arguments.encode("t", List.of(1, "two", List.of(3), Map.of("four", 4), new Point(5, 6)));
        assertEquals("[1,\"two\",[3],{\"four\":4},{\"x\":5,\"y\":6}]", json.toString());
        assertEquals("{\"n\":null}", arguments.encode("t", java.util.Collections.singletonMap("n", null)).toString());
    }

    @Test
    void refusesEntitiesLambdasAndStreamsAtSendTime() {
        var entity = assertThrows(TaskArgumentException.class,
                () -> arguments.encode("archive", List.of(new CustomerProxy())));
        assertEquals("argument 0 of task 'archive' is a JPA entity (Customer): pass its id and load it inside the task",
                entity.getMessage());
        Supplier<String> lambda = () -> "x";
        var code = assertThrows(TaskArgumentException.class, () -> arguments.encode("t", List.of(1, lambda)));
        assertTrue(code.getMessage().startsWith("argument 1 of task 't' is a lambda"), code.getMessage());
        var stream = assertThrows(TaskArgumentException.class,
                () -> arguments.encode("t", Map.of("in", new ByteArrayInputStream(new byte[0]))));
        assertTrue(stream.getMessage().startsWith("argument 'in' of task 't' is a stream"), stream.getMessage());
        var opaque = assertThrows(TaskArgumentException.class, () -> arguments.encode("t", List.of(new Object())));
        assertTrue(opaque.getMessage().startsWith("argument 0 of task 't' cannot travel as JSON"), opaque.getMessage());
    }
}
