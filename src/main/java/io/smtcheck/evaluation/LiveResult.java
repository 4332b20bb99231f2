// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import java.util.List;

/**
 * One policy's live run: the outcomes and moves as a replay reports them (each job's work is its
 * time alone, measured), and what only a real run has.
 *
 * @param killed   jobs still running at the time limit, killed
 * @param failures jobs whose command exited with a status other than 0 (left out of the metrics)
 * @param daemon   the daemon's CPU time and peak memory, or null for a policy without one
 */
public record LiveResult(RunResult run, int killed, List<Failure> failures, DaemonUsage daemon) {
    public LiveResult {
        failures = List.copyOf(failures);
    }

    /** A job that ended with {@code exitStatus} (128 + N for signal N); {@code message}: its last line on stderr. */
    public record Failure(String jobId, int exitStatus, String message) {
    }

    /** CPU seconds (user and system) and peak resident memory of the daemon over the run. */
    public record DaemonUsage(double cpuSeconds, long maxRssKib) {
    }
}
