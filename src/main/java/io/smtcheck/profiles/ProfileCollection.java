// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.eq;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.Profile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bson.Document;

/**
 * The {@code profiles} collection: a profile in its {@link DataJson} form plus {@code updated_at};
 * unique {@code job_id}, unique {@code name}.
 */
public final class ProfileCollection implements ProfileReader {
    static final String NAME = "profiles";

    private final MongoGateway gateway;
    private final MongoGateway.Patience patience;

    public ProfileCollection(MongoGateway gateway, MongoGateway.Patience patience) {
        this.gateway = gateway;
        this.patience = patience;
    }

    static void createIndexes(MongoDatabase db) {
        IndexOptions unique = new IndexOptions().unique(true);
        db.getCollection(NAME).createIndex(Indexes.ascending("job_id"), unique);
        db.getCollection(NAME).createIndex(Indexes.ascending("name"), unique);
    }

    @Override
    public ProfileStore.Loaded<Profile> readAll() {
        return gateway.run(patience, "load the profiles", db -> {
            ProfileStore.Loaded<Profile> loaded = ValidDocuments.read(gateway, NAME, "job_id",
                    db.getCollection(NAME).find(), d -> DataJson.profile(d, ""));
            List<Profile> sorted = new ArrayList<>(loaded.items());
            sorted.sort(Comparator.comparingInt(Profile::jobId));
            return new ProfileStore.Loaded<>(List.copyOf(sorted), loaded.skipped());
        });
    }

    @Override
    public Optional<Profile> find(int jobId) {
        return gateway.run(patience, "look up the profile of job " + jobId, db -> {
            Document doc = db.getCollection(NAME).find(eq("job_id", jobId)).first();
            return doc == null ? Optional.<Profile>empty()
                    : ValidDocuments.parse(gateway, NAME, "job_id", doc, d -> DataJson.profile(d, ""), new ArrayList<>());
        });
    }

    long count() {
        return gateway.run(patience, "count the profiles", db -> db.getCollection(NAME).countDocuments());
    }

    /**
     * Adds or replaces the profile of its job, uncommitted (inside a caller's operation).
     *
     * @return empty, or why the database refused it: its name belongs to another job id
     */
    static Optional<String> write(MongoDatabase db, Profile p) {
        Document doc = BsonJson.toDocument(DataJson.toJson(p)).append("updated_at", new Date());
        try {
            db.getCollection(NAME).replaceOne(eq("job_id", p.jobId()), doc, new ReplaceOptions().upsert(true));
            return Optional.empty();
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            Document other = db.getCollection(NAME).find(eq("name", p.name())).first();
            return Optional.of("profile " + p.label() + ": the name is already job "
                    + (other == null ? "?" : other.get("job_id")) + "'s");
        }
    }
}
