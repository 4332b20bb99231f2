// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The status answer's documentation, derived from the {@link DaemonStatus} records: one table per
 * record, each field with its JSON type and description. docs/status.md is this text; a test
 * fails when they differ, and {@code java -cp target/smtcheck-daemon.jar
 * io.smtcheck.daemon.StatusSchema docs/status.md} writes it again.
 */
public final class StatusSchema {
    private StatusSchema() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: StatusSchema FILE");
            System.exit(2);
        }
        Files.writeString(Path.of(args[0]), markdown());
    }

    /** The whole document. */
    public static String markdown() {
        StringBuilder s = new StringBuilder();
        s.append("# The daemon's status\n\n");
        s.append("`smtcheck status --json` prints, and the control socket's `{\"command\":\"status\"}` answers")
                .append(" (as `result`), one JSON object of this shape. This file is generated from the records")
                .append(" of `DaemonStatus.java` by `StatusSchema`; a test fails when the two differ. An optional")
                .append(" field is left out when it has no value; clients ignore fields they do not know.\n");
        Set<Class<?>> done = new LinkedHashSet<>();
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(DaemonStatus.class));
        while (!todo.isEmpty()) {
            Class<?> r = todo.poll();
            if (done.add(r)) {
                section(s, r, todo);
            }
        }
        return s.toString();
    }

    private static void section(StringBuilder s, Class<?> record, Deque<Class<?>> todo) {
        s.append("\n## ").append(title(record)).append("\n\n");
        s.append("| field | type | optional | meaning |\n| --- | --- | --- | --- |\n");
        rows(s, record, todo, false);
        for (RecordComponent c : record.getRecordComponents()) {
            if (c.getAccessor().isAnnotationPresent(JsonUnwrapped.class)) {
                List<String> names = java.util.Arrays.stream(c.getType().getRecordComponents())
                        .map(f -> "`" + f.getName() + "`").toList();
                s.append("\n").append(String.join(" and ", names)).append(": ").append(description(c)).append(".\n");
            }
        }
    }

    private static void rows(StringBuilder s, Class<?> record, Deque<Class<?>> todo, boolean together) {
        for (RecordComponent c : record.getRecordComponents()) {
            if (c.getAccessor().isAnnotationPresent(JsonUnwrapped.class)) {
                // Its fields appear among this record's, all of them or none.
                rows(s, c.getType(), todo, true);
                continue;
            }
            // Jackson's annotations do not target record components: they land on the accessors.
            JsonInclude include = c.getAccessor().getAnnotation(JsonInclude.class);
            String optional = together ? "yes, together (see below)"
                    : include != null && include.value() == JsonInclude.Include.NON_NULL ? "yes" : "no";
            s.append("| `").append(c.getName()).append("` | ").append(type(c.getGenericType(), todo)).append(" | ")
                    .append(optional).append(" | ").append(description(c)).append(" |\n");
        }
    }

    private static String description(RecordComponent c) {
        JsonPropertyDescription d = c.getAccessor().getAnnotation(JsonPropertyDescription.class);
        if (d == null) {
            throw new IllegalStateException(c.getDeclaringRecord().getSimpleName() + "." + c.getName()
                    + " has no description");
        }
        return d.value();
    }

    private static String type(Type t, Deque<Class<?>> todo) {
        if (t instanceof ParameterizedType p) {
            Type[] args = p.getActualTypeArguments();
            if (p.getRawType() == List.class) {
                return "array of " + type(args[0], todo);
            }
            if (p.getRawType() == Map.class) {
                return "object: name to " + type(args[1], todo);
            }
        }
        if (t == long.class || t == int.class || t == Long.class || t == Integer.class) {
            return "integer";
        }
        if (t == double.class || t == Double.class) {
            return "number";
        }
        if (t == boolean.class || t == Boolean.class) {
            return "boolean";
        }
        if (t == String.class) {
            return "string";
        }
        if (t instanceof Class<?> c && c.isRecord()) {
            todo.add(c);
            return "[" + title(c) + "](#" + title(c).toLowerCase(java.util.Locale.ROOT) + ")";
        }
        throw new IllegalStateException("no JSON type for " + t);
    }

    private static String title(Class<?> record) {
        return record == DaemonStatus.class ? "Status" : record.getSimpleName();
    }
}
