// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Updates;
import java.util.Date;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The {@code profiling_requests} collection: {@code job_id, status ("pending", or "done" once a
 * profile is written), first_requested_at, last_requested_at, requests, done_at}; unique
 * {@code job_id}, so filing twice is one request.
 */
public final class RequestCollection implements ProfilingRequests {
    static final String NAME = "profiling_requests";

    /** What filing a profiling request did. */
    public enum Outcome {
        /** A new request was filed, or one that was done is pending again. */
        FILED,
        /** A request for this job was pending already: nothing changed but its count and time. */
        ALREADY_FILED
    }

    private final MongoGateway gateway;
    private final MongoGateway.Patience patience;

    public RequestCollection(MongoGateway gateway, MongoGateway.Patience patience) {
        this.gateway = gateway;
        this.patience = patience;
    }

    static void createIndexes(MongoDatabase db) {
        db.getCollection(NAME).createIndex(Indexes.ascending("job_id"), new IndexOptions().unique(true));
    }

    /**
     * Files a request to profile a job, idempotently: filing twice leaves one request (its count and
     * last time updated). A request that was done (its job was profiled and has lost its profile
     * since) is pending again.
     */
    @Override
    public Outcome file(int jobId) {
        if (jobId < 0) {
            throw new IllegalArgumentException("job id " + jobId + " is negative");
        }
        return gateway.run(patience, "file a profiling request for job " + jobId, db -> {
            Date now = new Date();
            Bson update = Updates.combine(Updates.set("status", "pending"),
                    Updates.setOnInsert("first_requested_at", now), Updates.set("last_requested_at", now),
                    Updates.inc("requests", 1));
            try {
                Document before = db.getCollection(NAME).findOneAndUpdate(eq("job_id", jobId), update,
                        new FindOneAndUpdateOptions().upsert(true));
                gateway.commit();
                return before == null || !"pending".equals(before.get("status")) ? Outcome.FILED : Outcome.ALREADY_FILED;
            } catch (MongoWriteException e) {
                // Another daemon filed it between our look and our insert.
                if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                    return Outcome.ALREADY_FILED;
                }
                throw e;
            }
        });
    }

    /** Marks the job's pending request done, uncommitted (inside a caller's operation that wrote its profile). */
    static void markDone(MongoDatabase db, int jobId) {
        db.getCollection(NAME).updateOne(and(eq("job_id", jobId), eq("status", "pending")),
                Updates.combine(Updates.set("status", "done"), Updates.set("done_at", new Date())));
    }
}
