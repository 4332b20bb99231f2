// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gte;
import static com.mongodb.client.model.Filters.lt;

import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.ObservedSample;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
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

    /**
     * The newest {@code newest} samples of {@code machine} that ended in [{@code from},
     * {@code before}), newest first, with the documents of that machine and time that do not
     * validate, which count toward {@code newest}. On a MongoDB server the unique index, whose
     * first field is {@code machine}, serves the query; the embedded server scans the collection.
     */
    ProfileStore.Loaded<ObservedSample> recent(String machine, Instant from, Instant before, int newest) {
        // `at` is ISO-8601 text, whose order is the instants' except within one second ("…05Z" sorts after
        // "…05.1Z"): the query's bounds are whole seconds wider, the exact ones are applied to what it returns,
        // and the cursor is read until enough have passed them.
        Bson window = and(eq("machine", machine),
                gte("at", from.truncatedTo(ChronoUnit.SECONDS).minusSeconds(1).toString()),
                lt("at", before.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1).toString()));
        return gateway.run(patience, "read the observed samples", db -> {
            List<ObservedSample> within = new ArrayList<>();
            List<ProfileStore.Skipped> bad = new ArrayList<>();
            try (MongoCursor<Document> found = db.getCollection(NAME).find(window).sort(Indexes.descending("at"))
                    .batchSize(Math.min(newest, 1000)).iterator()) {
                while (within.size() + bad.size() < newest && found.hasNext()) {
                    ValidDocuments.parse(gateway, NAME, "machine", found.next(), d -> DataJson.observed(d, ""), bad)
                            .filter(s -> !s.at().isBefore(from) && s.at().isBefore(before))
                            .ifPresent(within::add);
                }
            }
            return new ProfileStore.Loaded<>(List.copyOf(within), List.copyOf(bad));
        });
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
