// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.DataJson;
import org.bson.Document;
import org.bson.conversions.Bson;

/** The {@code corun_samples} collection: a sample's form; unique over all four fields, so adding twice adds one. */
final class SampleCollection {
    static final String NAME = "corun_samples";

    private final MongoGateway gateway;
    private final MongoGateway.Patience patience;

    SampleCollection(MongoGateway gateway, MongoGateway.Patience patience) {
        this.gateway = gateway;
        this.patience = patience;
    }

    static void createIndexes(MongoDatabase db) {
        db.getCollection(NAME).createIndex(Indexes.ascending("job_a", "job_b", "slowdown_a", "slowdown_b"),
                new IndexOptions().unique(true));
    }

    /** Every valid co-run sample. */
    ProfileStore.Loaded<CoRunSample> readAll() {
        return gateway.run(patience, "read the co-run samples",
                db -> ValidDocuments.read(gateway, NAME, null, db.getCollection(NAME).find(), d -> DataJson.sample(d, "")));
    }

    /** Adds a sample unless it is there already, uncommitted (inside a caller's operation); true when added. */
    static boolean add(MongoDatabase db, CoRunSample s) {
        Document doc = BsonJson.toDocument(DataJson.toJson(s));
        Bson key = and(eq("job_a", s.jobA()), eq("job_b", s.jobB()), eq("slowdown_a", s.slowdownA()),
                eq("slowdown_b", s.slowdownB()));
        return db.getCollection(NAME).replaceOne(key, doc, new ReplaceOptions().upsert(true)).getUpsertedId() != null;
    }
}
