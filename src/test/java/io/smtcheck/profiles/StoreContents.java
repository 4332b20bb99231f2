// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import com.mongodb.client.model.Indexes;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;

/** What a store holds, read from its collections directly, to check what was written. */
public final class StoreContents {
    /** One document of {@code profiling_requests}. */
    public record Request(int jobId, String status, int requests) {
    }

    private StoreContents() {
    }

    /** The filed profiling requests, pending and done, oldest first. */
    public static List<Request> requests(ProfileStore store) {
        return store.gateway().run(MongoGateway.Patience.RETRY, "read the profiling requests", db -> {
            List<Request> out = new ArrayList<>();
            for (Document d : db.getCollection(RequestCollection.NAME).find().sort(Indexes.ascending("first_requested_at"))) {
                out.add(new Request(d.getInteger("job_id"), d.getString("status"), d.getInteger("requests")));
            }
            return out;
        });
    }

    /** The job ids of the requests still pending, oldest first. */
    public static List<Integer> pending(ProfileStore store) {
        return requests(store).stream().filter(r -> r.status().equals("pending")).map(Request::jobId).toList();
    }

    /** Writes {@code doc} into {@code observed_samples} as it is, valid or not, as another writer might. */
    public static void insertObserved(ProfileStore store, Document doc) {
        store.gateway().run(MongoGateway.Patience.RETRY, "write an observed sample as it is", db -> {
            db.getCollection(ObservedCollection.NAME).insertOne(doc);
            store.gateway().commit();
            return null;
        });
    }

    /** The job ids of all requests, oldest first. */
    public static List<Integer> requested(ProfileStore store) {
        return requests(store).stream().map(Request::jobId).toList();
    }
}
