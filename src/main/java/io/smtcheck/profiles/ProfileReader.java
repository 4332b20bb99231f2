// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import io.smtcheck.model.Profile;
import java.util.Optional;

/**
 * Where profiles are read from: smtcheck's own {@code profiles} collection, or the original
 * SMTcheck's raw measurements. Both answer the same way, so the daemon's cache and refresh rule
 * and every command serve either.
 */
public interface ProfileReader {
    /** Every valid profile, by job id; the documents that were skipped, with why. */
    ProfileStore.Loaded<Profile> readAll();

    /** The profile of a job; empty when there is none or it cannot be read (reported once). */
    Optional<Profile> find(int jobId);
}
