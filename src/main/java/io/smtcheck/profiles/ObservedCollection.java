// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.ObservedSample;
import java.util.List;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The {@code observed_samples} collection: the daemon's observed co-run slowdowns, an observed
 * sample's form; unique over {@code (machine, job_a, job_b, at)}, so writing one twice (a retry
 * after a lost answer) keeps one.
 */
final class ObservedCollection {
    static final String NAME = "observed_samples";

    private final MongoGateway gateway;
    private final MongoGateway.Patience patience;

    ObservedCollection(MongoGateway gateway, MongoGateway.Patience patience) {
        this.gateway = gateway;
        this.patience = patience;
    }

    static void createIndexes(MongoDatabase db) {
        db.getCollection(NAME).createIndex(Indexes.ascending("machine", "job_a", "job_b", "at"),
                new IndexOptions().unique(true));
    }

    /** Every valid observed sample. */
    ProfileStore.Loaded<ObservedSample> readAll() {
        return gateway.run(patience, "read the observed samples", db -> ValidDocuments.read(gateway, NAME, "machine",
                db.getCollection(NAME).find(), d -> DataJson.observed(d, "")));
    }

    /** Adds samples, durably; returns how many were new. */
    int add(List<ObservedSample> samples) {
        return gateway.run(patience, "record observed samples", db -> {
            int added = 0;
            for (ObservedSample s : samples) {
                Document doc = BsonJson.toDocument(DataJson.toJson(s));
                Bson key = and(eq("machine", s.machine()), eq("job_a", s.jobA()), eq("job_b", s.jobB()),
                        eq("at", s.at().toString()));
                if (db.getCollection(NAME).replaceOne(key, doc, new ReplaceOptions().upsert(true)).getUpsertedId() != null) {
                    added++;
                }
            }
            gateway.commit();
            return added;
        });
    }
}
