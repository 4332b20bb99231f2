// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.Profile;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.StoreHealth;
import java.io.IOException;
import java.time.Instant;
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

    /**
     * Observed samples that earlier daemons wrote, for a starting daemon to take up again.
     *
     * @param samples         the samples of the machine and window asked for whose two jobs have a
     *                        profile in the store, newest first
     * @param otherWorkloads  how many samples of that machine and window were left out for a job
     *                        without a profile
     * @param skipped         the documents of that machine that do not validate
     */
    record ObservedHistory(List<ObservedSample> samples, int otherWorkloads, List<ProfileStore.Skipped> skipped) {
        public ObservedHistory {
            samples = List.copyOf(samples);
            skipped = List.copyOf(skipped);
        }
    }

    /**
     * The newest {@code newest} samples observed on {@code machine} that ended in [{@code from},
     * {@code before}), waiting for the store: never called under the daemon's lock. Empty where the
     * source keeps no observed samples (the original SMTcheck's store, which is never written).
     *
     * @throws IOException when the store cannot be read now
     */
    default Optional<ObservedHistory> observedHistory(String machine, Instant from, Instant before, int newest)
            throws IOException {
        return Optional.empty();
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
