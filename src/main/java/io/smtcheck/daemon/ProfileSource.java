// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.Profile;
import io.smtcheck.profiles.StoreHealth;
import java.util.List;
import java.util.Optional;

/** The daemon's view of the profile store: lookups that never throw, served from cache when the store is down. */
public interface ProfileSource extends AutoCloseable {
    Optional<Profile> byJob(int jobId);

    /** Every known profile (for recognising processes in /proc). */
    List<Profile> all();

    /** Files a profiling request for a job without a profile; filing it again changes nothing. */
    void requestProfile(int jobId, String name);

    /** One line for logs and status. */
    String describe();

    /** Whether the store works, and its failures so far (counted in the daemon's errors). */
    default StoreHealth health() {
        return StoreHealth.HEALTHY;
    }

    @Override
    void close();
}
