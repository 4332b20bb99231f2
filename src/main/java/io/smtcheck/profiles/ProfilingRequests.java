// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

/** Where the daemon asks for a job to be profiled. */
public interface ProfilingRequests extends AutoCloseable {
    /**
     * Asks, idempotently: asking twice is one request.
     *
     * @throws IllegalArgumentException   when the job cannot be asked for (the reason says why)
     * @throws StoreUnavailableException  when it cannot be asked now (try again later)
     */
    RequestCollection.Outcome file(int jobId);

    @Override
    default void close() {
    }
}
