// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.eq;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import io.smtcheck.model.Baseline;
import io.smtcheck.model.DataJson;
import java.util.Date;
import org.bson.Document;

/** The {@code injector_baselines} collection: a baseline's form plus {@code updated_at}; unique {@code resource}. */
final class BaselineCollection {
    static final String NAME = "injector_baselines";

    private final MongoGateway gateway;
    private final MongoGateway.Patience patience;

    BaselineCollection(MongoGateway gateway, MongoGateway.Patience patience) {
        this.gateway = gateway;
        this.patience = patience;
    }

    static void createIndexes(MongoDatabase db) {
        db.getCollection(NAME).createIndex(Indexes.ascending("resource"), new IndexOptions().unique(true));
    }

    /** Every valid baseline, by resource. */
    ProfileStore.Loaded<Baseline> readAll() {
        return gateway.run(patience, "read the injector baselines", db -> ValidDocuments.read(gateway, NAME, "resource",
                db.getCollection(NAME).find().sort(Indexes.ascending("resource")), d -> DataJson.baseline(d, "")));
    }

    /** Adds or replaces the baseline of its resource, uncommitted (inside a caller's operation). */
    static void write(MongoDatabase db, Baseline b) {
        Document doc = BsonJson.toDocument(DataJson.toJson(b)).append("updated_at", new Date());
        db.getCollection(NAME).replaceOne(eq("resource", b.resource()), doc, new ReplaceOptions().upsert(true));
    }
}
