// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

/**
 * One measurement of two workloads on the sibling threads of one core: the training data. Each
 * gives two training rows, one per side.
 *
 * @param jobA      one workload's job id
 * @param jobB      the other's (may equal {@code jobA}: two threads of one workload)
 * @param slowdownA fraction of A's solo performance lost beside B, in [-1, 1] (noise may make it
 *                  slightly negative)
 * @param slowdownB the same for B
 */
public record CoRunSample(int jobA, int jobB, double slowdownA, double slowdownB) {
    public CoRunSample {
        if (jobA < 0 || jobB < 0) {
            throw new InvalidDataException("job_a/job_b: job ids must not be negative");
        }
        if (!(slowdownA >= -1 && slowdownA <= 1)) {
            throw new InvalidDataException("slowdown_a: " + slowdownA + " is not in [-1, 1]");
        }
        if (!(slowdownB >= -1 && slowdownB <= 1)) {
            throw new InvalidDataException("slowdown_b: " + slowdownB + " is not in [-1, 1]");
        }
    }
}
