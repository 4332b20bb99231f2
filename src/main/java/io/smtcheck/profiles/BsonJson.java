// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

/**
 * Converts between the driver's documents and Jackson trees, so that documents are validated by
 * the same code as data files ({@link io.smtcheck.model.DataJson}). Doubles keep NaN and
 * infinities, which validation then rejects with the field's name, rather than failing here.
 */
final class BsonJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private BsonJson() {
    }

    /** The document as a tree, leaving out the fields named in {@code skip} (such as "_id"). */
    static ObjectNode toTree(Document doc, java.util.Set<String> skip) {
        ObjectNode out = NODES.objectNode();
        for (Map.Entry<String, Object> e : doc.entrySet()) {
            if (!skip.contains(e.getKey())) {
                out.set(e.getKey(), value(e.getValue()));
            }
        }
        return out;
    }

    private static JsonNode value(Object v) {
        if (v == null) {
            return NODES.nullNode();
        }
        if (v instanceof Document d) {
            return toTree(d, java.util.Set.of());
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, x) -> o.set(String.valueOf(k), value(x)));
            return o;
        }
        if (v instanceof List<?> list) {
            ArrayNode a = NODES.arrayNode();
            list.forEach(x -> a.add(value(x)));
            return a;
        }
        if (v instanceof Integer i) {
            return NODES.numberNode(i);
        }
        if (v instanceof Long l) {
            return NODES.numberNode(l);
        }
        if (v instanceof Double d) {
            return NODES.numberNode(d);
        }
        if (v instanceof Decimal128 d) {
            return NODES.numberNode(d.bigDecimalValue());
        }
        if (v instanceof Number n) {
            return NODES.numberNode(n.doubleValue());
        }
        if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (v instanceof String s) {
            return NODES.textNode(s);
        }
        if (v instanceof ObjectId id) {
            return NODES.textNode(id.toHexString());
        }
        if (v instanceof Date d) {
            return NODES.textNode(d.toInstant().toString());
        }
        // Other BSON types (binary, regex, ...) never appear in valid documents; validation names them.
        return NODES.textNode(v.getClass().getSimpleName() + ":" + v);
    }

    /** A document from a tree of objects, arrays, numbers, strings, booleans and nulls. */
    static Document toDocument(JsonNode node) {
        Document d = new Document();
        node.fields().forEachRemaining(e -> d.append(e.getKey(), plain(e.getValue())));
        return d;
    }

    private static Object plain(JsonNode n) {
        if (n.isObject()) {
            return toDocument(n);
        }
        if (n.isArray()) {
            List<Object> list = new ArrayList<>();
            n.forEach(x -> list.add(plain(x)));
            return list;
        }
        if (n.isInt()) {
            return n.intValue();
        }
        if (n.isIntegralNumber()) {
            return n.longValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isNull()) {
            return null;
        }
        return n.asText();
    }
}
