// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.FindIterable;
import io.smtcheck.model.InvalidDataException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.bson.Document;

/**
 * Documents read back into validated records. A document that does not validate is skipped with
 * the reason, which names its field, and reported once; it never fails a read.
 */
final class ValidDocuments {
    /** Fields the store adds to a record's form. */
    private static final Set<String> STORE_FIELDS = Set.of("_id", "updated_at");

    private ValidDocuments() {
    }

    /** Every document of {@code found} that {@code parse} accepts; the rest in {@link ProfileStore.Loaded#skipped()}. */
    static <T> ProfileStore.Loaded<T> read(MongoGateway gateway, String collection, String keyField,
            FindIterable<Document> found, Function<JsonNode, T> parse) {
        List<T> out = new ArrayList<>();
        List<ProfileStore.Skipped> bad = new ArrayList<>();
        for (Document d : found) {
            parse(gateway, collection, keyField, d, parse, bad).ifPresent(out::add);
        }
        return new ProfileStore.Loaded<>(List.copyOf(out), List.copyOf(bad));
    }

    /** One document as a record; empty (and added to {@code bad}, and reported) when it does not validate. */
    static <T> Optional<T> parse(MongoGateway gateway, String collection, String keyField, Document d,
            Function<JsonNode, T> parse, List<ProfileStore.Skipped> bad) {
        try {
            return Optional.of(parse.apply(BsonJson.toTree(d, STORE_FIELDS)));
        } catch (InvalidDataException e) {
            ProfileStore.Skipped s = new ProfileStore.Skipped(collection, describe(d, keyField), e.getMessage());
            gateway.reportInvalid(s);
            bad.add(s);
            return Optional.empty();
        }
    }

    /** A document for messages: its key field and its {@code _id}. */
    static String describe(Document d, String keyField) {
        Object key = keyField == null ? null : d.get(keyField);
        Object id = d.get("_id");
        return (key != null ? keyField + " " + key : "") + (id != null ? (key != null ? ", " : "") + "_id " + id : "");
    }
}
