// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gte;
import static com.mongodb.client.model.Filters.lt;
import static com.mongodb.client.model.Filters.lte;

import com.mongodb.client.MongoCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOneModel;
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

    /**
     * Adds samples, durably, in one unordered bulk request (a round's samples are independent of one
     * another); returns how many were new. A refused batch throws as one operation: none of it is
     * counted written, whatever part the server took.
     */
    int add(List<ObservedSample> samples) {
        List<ReplaceOneModel<Document>> upserts = new ArrayList<>(samples.size());
        for (ObservedSample s : samples) {
            // The key as one plain document, not Filters.and (which renders as $and): the embedded server's
            // unique index serves only plain equality on its fields, and scans the collection otherwise.
            Document key = new Document("machine", s.machine()).append("job_a", s.jobA()).append("job_b", s.jobB())
                    .append("at", s.at().toString());
            upserts.add(new ReplaceOneModel<>(key, BsonJson.toDocument(DataJson.toJson(s)),
                    new ReplaceOptions().upsert(true)));
        }
        return gateway.run(patience, "record observed samples", db -> {
            int added = db.getCollection(NAME).bulkWrite(upserts, new BulkWriteOptions().ordered(false))
                    .getUpserts().size();
            gateway.commit();
            return added;
        });
    }

    /**
     * The samples that ended before the whole second {@code before} (of {@code machine}, or of every
     * machine when null): removed durably, or only counted when {@code dryRun}; returns how many.
     */
    long prune(Instant before, String machine, boolean dryRun) {
        // `at` is ISO-8601 text: every instant before the whole second S is at most S - 1 as text, where
        // "…04.5Z" sorts before "…04Z" (see recent), and none at or after S is.
        Bson older = lte("at", before.truncatedTo(ChronoUnit.SECONDS).minusSeconds(1).toString());
        Bson filter = machine == null ? older : and(eq("machine", machine), older);
        return gateway.run(patience, dryRun ? "count old observed samples" : "remove old observed samples", db -> {
            if (dryRun) {
                return db.getCollection(NAME).countDocuments(filter);
            }
            long removed = db.getCollection(NAME).deleteMany(filter).getDeletedCount();
            gateway.commit();
            return removed;
        });
    }
}
