// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A load made up from a seed: Poisson arrivals (exponential gaps of mean {@code 1 / rate}), each
 * job a payload drawn uniformly from the mix, its work uniform in [{@code minWork}, {@code maxWork}],
 * one worker. Times are rounded to milliseconds, so that the trace written out reads back the same.
 * {@link Random} is used because its sequence is fixed by its specification: the same seed gives
 * the same load on every JVM.
 */
public final class LoadGenerator {
    private LoadGenerator() {
    }

    /**
     * @param rate arrivals per second, more than 0
     * @throws IllegalArgumentException naming the parameter that is out of range
     */
    public static Trace generate(long seed, int jobs, double rate, List<String> mix, double minWork, double maxWork) {
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs: " + jobs + " is fewer than 1");
        }
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate: " + rate + " arrivals per second is not more than 0");
        }
        if (mix.isEmpty()) {
            throw new IllegalArgumentException("mix: no payloads to draw from");
        }
        if (!(minWork > 0) || !(maxWork >= minWork) || Double.isInfinite(maxWork)) {
            throw new IllegalArgumentException("work: [" + minWork + ", " + maxWork + "] is not a range of durations above 0");
        }
        Random random = new Random(seed);
        List<Trace.Job> out = new ArrayList<>(jobs);
        double t = 0;
        for (int i = 1; i <= jobs; i++) {
            t += -Math.log(1 - random.nextDouble()) / rate;
            String payload = mix.get(random.nextInt(mix.size()));
            double work = Math.max(0.001, millis(minWork + (maxWork - minWork) * random.nextDouble()));
            out.add(new Trace.Job("g" + i, millis(t), work, 1, payload));
        }
        return new Trace(out);
    }

    private static double millis(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }
}
