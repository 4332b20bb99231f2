// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Strict reading of JSON trees: every failure names the field by its path
 * ({@code profiles[3].resources.mem_bw.usage}) and says what was wrong.
 */
public final class JsonRead {
    /** The name of the Jackson setting in a limit's message, which means nothing to the reader. */
    private static final Pattern LIMIT_SOURCE = Pattern.compile(", from `[^`]*`");
    /** The parser's advice to change one of its settings, which the reader cannot do. */
    private static final Pattern SETTING_ADVICE = Pattern.compile(": enable `[^`]*` to allow");

    /** Reads and writes the project's JSON files: nothing may follow the document; output is indented. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private JsonRead() {
    }

    /**
     * A file's content as a JSON tree.
     *
     * @throws InvalidDataException naming {@code source}: not JSON or beyond the parser's limits
     *                              (with line and column), or empty
     */
    public static JsonNode document(byte[] content, String source) {
        JsonNode root;
        try (JsonParser parser = JSON.createParser(content)) {
            try {
                root = JSON.readTree(parser);
            } catch (JsonProcessingException e) {
                throw new InvalidDataException(source + ": " + problem(e, parser));
            }
        } catch (IOException e) {
            throw new InvalidDataException(source + ": cannot be read: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw new InvalidDataException(source + ": empty file");
        }
        return root;
    }

    /**
     * What is wrong with a document, with line and column, in plain words. A document past one of
     * the parser's limits (a number of more than 1000 digits, nesting deeper than 1000, a string of
     * more than 20 000 000 characters) is refused as well; such an exception carries no location, so
     * the parser's is used.
     */
    public static String problem(JsonProcessingException e, JsonParser parser) {
        JsonLocation where = e.getLocation() != null ? e.getLocation() : parser.currentLocation();
        String what = e instanceof StreamConstraintsException
                ? "over the reader's limits: " + LIMIT_SOURCE.matcher(e.getOriginalMessage()).replaceAll("")
                : "not valid JSON: " + SETTING_ADVICE.matcher(e.getOriginalMessage()).replaceAll("");
        return what.replaceAll("\\s*\\R\\s*", " ") + " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
    }

    public static String child(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    public static JsonNode object(JsonNode node, String path) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            throw new InvalidDataException(label(path) + "missing");
        }
        if (!node.isObject()) {
            throw new InvalidDataException(label(path) + "expected an object, found " + kind(node));
        }
        return node;
    }

    /** Rejects fields outside {@code allowed}: a typo must not pass silently. */
    public static void onlyFields(JsonNode object, String path, Set<String> allowed) {
        Iterator<String> names = object.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new InvalidDataException(label(child(path, name)) + "unknown field (expected one of "
                        + allowed.stream().sorted().toList() + ")");
            }
        }
    }

    public static JsonNode required(JsonNode object, String field, String path) {
        JsonNode v = object.get(field);
        if (v == null || v.isNull()) {
            throw new InvalidDataException(label(child(path, field)) + "missing");
        }
        return v;
    }

    public static boolean present(JsonNode object, String field) {
        JsonNode v = object.get(field);
        return v != null && !v.isNull();
    }

    /** A finite number. NaN and infinities (possible in BSON documents) are rejected. */
    public static double number(JsonNode object, String field, String path) {
        JsonNode v = required(object, field, path);
        return number(v, child(path, field));
    }

    public static double number(JsonNode v, String path) {
        if (!v.isNumber()) {
            throw new InvalidDataException(label(path) + "expected a number, found " + kind(v));
        }
        double d = v.doubleValue();
        if (!Double.isFinite(d)) {
            throw new InvalidDataException(label(path) + d + " is not a finite number");
        }
        return d;
    }

    public static double numberOr(JsonNode object, String field, String path, double fallback) {
        return present(object, field) ? number(object, field, path) : fallback;
    }

    public static int integer(JsonNode object, String field, String path) {
        JsonNode v = required(object, field, path);
        if (!v.isIntegralNumber() && !(v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue()))) {
            throw new InvalidDataException(label(child(path, field)) + "expected an integer, found " + kind(v));
        }
        double d = v.doubleValue();
        if (d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
            throw new InvalidDataException(label(child(path, field)) + v.asText() + " is out of range");
        }
        return (int) d;
    }

    public static int integerOr(JsonNode object, String field, String path, int fallback) {
        return present(object, field) ? integer(object, field, path) : fallback;
    }

    public static String text(JsonNode object, String field, String path) {
        JsonNode v = required(object, field, path);
        if (!v.isTextual()) {
            throw new InvalidDataException(label(child(path, field)) + "expected a string, found " + kind(v));
        }
        return v.textValue();
    }

    public static String textOr(JsonNode object, String field, String path, String fallback) {
        return present(object, field) ? text(object, field, path) : fallback;
    }

    public static List<JsonNode> array(JsonNode object, String field, String path) {
        return array(required(object, field, path), child(path, field));
    }

    /** {@code v}'s elements, when it is an array. */
    public static List<JsonNode> array(JsonNode v, String path) {
        if (!v.isArray()) {
            throw new InvalidDataException(label(path) + "expected an array, found " + kind(v));
        }
        List<JsonNode> out = new ArrayList<>(v.size());
        v.forEach(out::add);
        return out;
    }

    private static String label(String path) {
        return path.isEmpty() ? "" : path + ": ";
    }

    private static String kind(JsonNode v) {
        if (v.isTextual()) {
            return "the string \"" + abbreviate(v.textValue()) + "\"";
        }
        return switch (v.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case BOOLEAN -> v.asText();
            case NUMBER -> v.asText();
            case NULL -> "null";
            default -> v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
