// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.util.HashSet;

/**
 * Decides where workloads run after a change, without moving them for a negligible gain: it
 * compares keeping every running workload where it is (newcomers put in the best free places)
 * against the optimal plan laid onto the current cores, and moves only if the optimum is better
 * by more than {@code minGain}, a fraction of the kept placement's total score.
 */
public final class Replanner {
    /** The outcome: the placement to apply and why. */
    public record Decision(Placement placement, double score, double keptScore, double optimalScore, boolean moved,
            PlanMode mode) {
    }

    private final Topology topology;
    private final double minGain;

    /** @param minGain the relative improvement that justifies moving running workloads (0.02 = 2 %) */
    public Replanner(Topology topology, double minGain) {
        if (!(minGain >= 0) || Double.isInfinite(minGain)) {
            throw new IllegalArgumentException("the minimum gain must be 0 or more, not " + minGain);
        }
        this.topology = topology;
        this.minGain = minGain;
    }

    public Topology topology() {
        return topology;
    }

    public double minGain() {
        return minGain;
    }

    public Decision decide(PairingInput input, Placement current) {
        Placement kept = current.retain(new HashSet<>(input.ids())).fill(input);
        Plan plan = Planner.plan(input, topology, PlanMode.AUTO);
        Placement optimal = Placement.of(plan, topology).alignedTo(current);
        double keptScore = kept.score(input);
        double optimalScore = optimal.score(input);
        boolean move = optimalScore - keptScore > minGain * Math.abs(keptScore) + 1e-9;
        Placement chosen = move ? optimal : kept;
        return new Decision(chosen, move ? optimalScore : keptScore, keptScore, optimalScore, move, plan.mode());
    }
}
