// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import java.util.Date;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.bson.Document;

/**
 * The {@code profiling_measurements} collection, profiling's journal: {@code group, key, value,
 * measured_at}, what profiling has measured so far under a run's identity (a machine's baselines,
 * one job's profile), so that an interrupted run resumes; unique {@code (group, key)}.
 */
final class MeasurementCollection {
    static final String NAME = "profiling_measurements";

    private final MongoGateway gateway;
    private final MongoGateway.Patience patience;

    MeasurementCollection(MongoGateway gateway, MongoGateway.Patience patience) {
        this.gateway = gateway;
        this.patience = patience;
    }

    static void createIndexes(MongoDatabase db) {
        db.getCollection(NAME).createIndex(Indexes.ascending("group", "key"), new IndexOptions().unique(true));
    }

    /** Every measurement recorded under {@code group}, by key; an invalid document is skipped and reported once. */
    Map<String, JsonNode> of(String group) {
        return gateway.run(patience, "read the measurements of " + group, db -> {
            Map<String, JsonNode> out = new TreeMap<>();
            for (Document d : db.getCollection(NAME).find(eq("group", group))) {
                if (!(d.get("key") instanceof String key)) {
                    invalid(d, "key: expected a string, found " + d.get("key"));
                } else if (!(d.get("value") instanceof Document value)) {
                    invalid(d, "value: expected an object, found " + d.get("value"));
                } else {
                    out.put(key, BsonJson.toTree(value, Set.of()));
                }
            }
            return out;
        });
    }

    /** Records (or replaces) one measurement, durably. */
    void put(String group, String key, ObjectNode value) {
        gateway.run(patience, "record a measurement of " + group, db -> {
            Document doc = new Document("group", group).append("key", key).append("value", BsonJson.toDocument(value))
                    .append("measured_at", new Date());
            db.getCollection(NAME).replaceOne(and(eq("group", group), eq("key", key)), doc,
                    new ReplaceOptions().upsert(true));
            gateway.commit();
            return null;
        });
    }

    /** Forgets every measurement of {@code group}; returns how many there were. */
    long forget(String group) {
        return gateway.run(patience, "forget the measurements of " + group, db -> {
            long n = db.getCollection(NAME).deleteMany(eq("group", group)).getDeletedCount();
            gateway.commit();
            return n;
        });
    }

    private void invalid(Document d, String reason) {
        gateway.reportInvalid(new ProfileStore.Skipped(NAME, ValidDocuments.describe(d, "group"), reason));
    }
}
