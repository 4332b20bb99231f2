// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.time.Instant;

/**
 * Two workloads observed by the daemon on the sibling threads of one core, where they really ran:
 * the same kind of target as a {@link CoRunSample} (the slowdown of A beside B), measured over the
 * running jobs' own progress rather than over reruns.
 *
 * @param machine   the machine's identity ({@link Measurement.Machine#id()}), where it was observed
 * @param jobA      one workload's job id
 * @param jobB      the other's (may equal {@code jobA}: two instances of one job)
 * @param slowdownA fraction of A's rate alone lost beside B, in [-1, 1]
 * @param slowdownB the same for B
 * @param seconds   how long the pair was observed, &gt; 0
 * @param at        when the observation ended
 */
public record ObservedSample(String machine, int jobA, int jobB, double slowdownA, double slowdownB, double seconds,
        Instant at) {
    public ObservedSample {
        if (machine == null || machine.isBlank()) {
            throw new InvalidDataException("machine: missing");
        }
        if (jobA < 0 || jobB < 0) {
            throw new InvalidDataException("job_a/job_b: job ids must not be negative");
        }
        if (!(slowdownA >= -1 && slowdownA <= 1)) {
            throw new InvalidDataException("slowdown_a: " + slowdownA + " is not in [-1, 1]");
        }
        if (!(slowdownB >= -1 && slowdownB <= 1)) {
            throw new InvalidDataException("slowdown_b: " + slowdownB + " is not in [-1, 1]");
        }
        if (!(seconds > 0) || !Double.isFinite(seconds)) {
            throw new InvalidDataException("seconds: " + seconds + " is not a finite number > 0");
        }
        if (at == null) {
            throw new InvalidDataException("at: missing");
        }
    }

    /** As a training sample: the slowdowns without where and how long. */
    public CoRunSample toCoRunSample() {
        return new CoRunSample(jobA, jobB, slowdownA, slowdownB);
    }
}
