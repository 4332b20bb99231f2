// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.Profile;
import io.smtcheck.profiles.StoreHealth;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The daemon's view of the profile store. Its lookups and requests never throw and never wait for
 * the store (no I/O at all), so the daemon may call them while it holds its own lock: they answer
 * from what is known, and the store is read and written in the background.
 */
public interface ProfileSource extends AutoCloseable {
    /**
     * The job's profile, if it is known. A job that is not known yet is looked up in the background;
     * a profile found there is answered by a later call (the daemon's next pass over the workloads
     * that have none), not by this one.
     */
    Optional<Profile> byJob(int jobId);

    /**
     * Every known profile (for recognising processes in /proc), without waiting. The same list
     * object until its contents change, so that callers can tell when it changed.
     */
    List<Profile> all();

    /**
     * Asks for a job without a profile to be profiled, without waiting: the request is filed in the
     * background, and again later when the store cannot take it now. Asking again changes nothing.
     */
    void requestProfile(int jobId, String name);

    /**
     * Writes a profile measured here (in situ) to the store, waiting for it: never called under
     * the daemon's lock. The profile reaches {@link #byJob} with the next reload.
     *
     * @throws IOException when the store cannot take it now
     */
    default void store(Profile profile) throws IOException {
        throw new IOException(describe() + " takes no profiles");
    }

    /**
     * Writes co-run slowdowns observed here to the store, waiting for it: never called under the
     * daemon's lock.
     *
     * @throws IOException when the store cannot take them now, or takes none
     */
    default void storeObserved(List<ObservedSample> samples) throws IOException {
        throw new IOException(describe() + " takes no observed samples");
    }

    /** One line for logs and status. */
    String describe();

    /** Whether the store works, and its failures so far (counted in the daemon's errors). */
    default StoreHealth health() {
        return StoreHealth.HEALTHY;
    }

    @Override
    void close();
}
