// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.Profile;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.StoreHealth;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The profile store as the daemon uses it. Requests that could not be filed (MongoDB down) are
 * kept and filed again on the next call, so none is lost to an outage.
 */
final class StoreProfileSource implements ProfileSource {
    private static final Logger LOG = LoggerFactory.getLogger(StoreProfileSource.class);

    /** How often the full profile list is read again: every read is a query of every profile. */
    static final long REFRESH_NS = 10_000_000_000L;

    private final ProfileStore store;
    private final Map<Integer, String> unfiled = new LinkedHashMap<>();
    private List<Profile> all;
    private long allReadAt;

    StoreProfileSource(ProfileStore store) {
        this.store = store;
    }

    @Override
    public Optional<Profile> byJob(int jobId) {
        fileWaitingRequests();
        return store.profile(jobId);
    }

    /** The same list object until the next refresh, so that callers can tell when it changed. */
    @Override
    public synchronized List<Profile> all() {
        long now = System.nanoTime();
        if (all == null || now - allReadAt >= REFRESH_NS) {
            List<Profile> fresh = store.profiles();
            if (!fresh.equals(all)) {
                all = fresh;
            }
            allReadAt = now;
        }
        return all;
    }

    @Override
    public synchronized void requestProfile(int jobId, String name) {
        unfiled.put(jobId, name);
        fileWaitingRequests();
    }

    private synchronized void fileWaitingRequests() {
        for (var it = unfiled.entrySet().iterator(); it.hasNext();) {
            var e = it.next();
            try {
                ProfileStore.RequestOutcome outcome = store.requestProfiling(e.getKey());
                LOG.info("profiling request for job {} ({}): {}", e.getKey(), e.getValue(), outcome);
                it.remove();
            } catch (RuntimeException ex) {
                LOG.warn("profiling request for job {} not filed yet: {}", e.getKey(), ex.getMessage());
                return;
            }
        }
    }

    @Override
    public String describe() {
        return store.where();
    }

    @Override
    public StoreHealth health() {
        return store.health();
    }

    @Override
    public void close() {
        store.close();
    }
}
