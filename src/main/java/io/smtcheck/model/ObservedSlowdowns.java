// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the daemon has observed of pairs of workloads that ran on one core: per unordered pair of
 * workload keys, how long it was observed and the time-weighted mean slowdown of each side.
 *
 * <p><b>The rule that blends it with a prediction.</b> A pair observed for {@code t} seconds gets
 * the weight {@code w = t / (t + T0)}, and each side's slowdown becomes
 * {@code (1 − w) × predicted + w × observed}. {@code T0} ({@link #trustSeconds()}) is what the
 * prediction is worth, in seconds of observation: after {@code T0} seconds, half of each;
 * after ten times {@code T0}, 91 % observation. Noise in single windows thus moves a score little,
 * and a long observation overrules the model.
 *
 * <p>Not thread-safe: its score table's owner owns it.
 */
public final class ObservedSlowdowns {
    /** The prediction's worth by default: five minutes of observation. */
    public static final double DEFAULT_TRUST_SECONDS = 300;

    /**
     * A pair as observed, oriented: {@code slowdown} is the first workload's beside the second,
     * {@code partnerSlowdown} the second's beside the first.
     */
    public record Observed(double seconds, double slowdown, double partnerSlowdown) {
    }

    private static final class Sums {
        double seconds;
        double first;
        double second;
    }

    private final double trustSeconds;
    private final Map<List<String>, Sums> pairs = new HashMap<>();

    /** @param trustSeconds {@code T0} of the rule above, &gt; 0 */
    public ObservedSlowdowns(double trustSeconds) {
        if (!(trustSeconds > 0) || Double.isInfinite(trustSeconds)) {
            throw new IllegalArgumentException("trust seconds: " + trustSeconds + " is not a finite number > 0");
        }
        this.trustSeconds = trustSeconds;
    }

    /** The workload key of a job, as the daemon names its instances' workloads in a score table. */
    public static String workloadOf(int jobId) {
        return "job:" + jobId;
    }

    public double trustSeconds() {
        return trustSeconds;
    }

    /** Adds {@code seconds} of {@code a} beside {@code b}: {@code slowdownA} is a's, {@code slowdownB} b's. */
    public void add(String a, String b, double slowdownA, double slowdownB, double seconds) {
        if (!(seconds > 0) || !Double.isFinite(slowdownA) || !Double.isFinite(slowdownB)) {
            throw new IllegalArgumentException("observation of " + a + " beside " + b + ": slowdowns " + slowdownA
                    + " and " + slowdownB + " over " + seconds + " s");
        }
        boolean inOrder = a.compareTo(b) <= 0;
        Sums s = pairs.computeIfAbsent(inOrder ? List.of(a, b) : List.of(b, a), k -> new Sums());
        s.seconds += seconds;
        s.first += (inOrder ? slowdownA : slowdownB) * seconds;
        s.second += (inOrder ? slowdownB : slowdownA) * seconds;
    }

    /** The pair as observed, {@code a}'s slowdown first; empty when it never ran. */
    public Optional<Observed> of(String a, String b) {
        boolean inOrder = a.compareTo(b) <= 0;
        Sums s = pairs.get(inOrder ? List.of(a, b) : List.of(b, a));
        if (s == null) {
            return Optional.empty();
        }
        double first = s.first / s.seconds;
        double second = s.second / s.seconds;
        if (a.equals(b)) {
            // Two instances of one workload: either side is its slowdown beside itself.
            first = second = (first + second) / 2;
        }
        return Optional.of(inOrder ? new Observed(s.seconds, first, second) : new Observed(s.seconds, second, first));
    }

    /** The weight of {@code seconds} of observation against the prediction: {@code t / (t + T0)}. */
    public double weight(double seconds) {
        return seconds / (seconds + trustSeconds);
    }

    /** A side's slowdown after {@code seconds} of observation: the prediction and the observation blended. */
    public double blend(double predicted, double observed, double seconds) {
        double w = weight(seconds);
        return (1 - w) * predicted + w * observed;
    }

    /** How many pairs have been observed. */
    public int pairs() {
        return pairs.size();
    }
}
