// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import java.util.Arrays;
import java.util.List;

/**
 * Event-to-pin latencies since the daemon started, counted into fixed buckets: what the metrics
 * endpoint exposes as a histogram. Unlike status's percentiles (the last samples, which a counter
 * reset clears), these counts only grow.
 *
 * @param upperBoundsSeconds each bucket's upper bound, ascending (the last bucket, +Inf, is implied)
 * @param counts             arrivals per bucket, not cumulative; one more entry than bounds (+Inf)
 * @param sumSeconds         all latencies added up
 */
public record LatencyHistogram(List<Double> upperBoundsSeconds, List<Long> counts, double sumSeconds) {
    /** From half a millisecond (a pin of a few tasks) to ten seconds (a slow /proc under load). */
    static final double[] BOUNDS_SECONDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
        10};

    public LatencyHistogram {
        upperBoundsSeconds = List.copyOf(upperBoundsSeconds);
        counts = List.copyOf(counts);
        if (counts.size() != upperBoundsSeconds.size() + 1) {
            throw new IllegalArgumentException("counts must have one entry more than upperBoundsSeconds, not "
                    + counts.size() + " for " + upperBoundsSeconds.size());
        }
    }

    /** Arrivals measured in all. */
    public long count() {
        return counts.stream().mapToLong(Long::longValue).sum();
    }

    /** Counts arrivals; owned by the daemon's lock like the rest of its state. */
    static final class Recorder {
        private final long[] counts = new long[BOUNDS_SECONDS.length + 1];
        private double sumSeconds;

        void record(long nanos) {
            double seconds = nanos / 1e9;
            int bucket = 0;
            while (bucket < BOUNDS_SECONDS.length && seconds > BOUNDS_SECONDS[bucket]) {
                bucket++;
            }
            counts[bucket]++;
            sumSeconds += seconds;
        }

        LatencyHistogram snapshot() {
            return new LatencyHistogram(Arrays.stream(BOUNDS_SECONDS).boxed().toList(),
                    Arrays.stream(counts).boxed().toList(), sumSeconds);
        }
    }
}
