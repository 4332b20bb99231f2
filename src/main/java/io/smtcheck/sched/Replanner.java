// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.util.HashSet;

/**
 * Decides where workloads run after a change, without moving them for a negligible gain: the
 * planner charges a migration cost for every running thread it moves, so a plan moves the
 * workloads whose move pays and keeps the rest where they are.
 *
 * <p>The cost comes from {@code minGain}: moving one thread must gain more than {@code minGain}
 * of the mean score of a core that runs something now (0.02: 2 % of a core's score, about what a
 * pair's score changes between two rounds of profiling). A plan that moves every thread of a
 * fully paired host thus needs to gain about {@code minGain} of the total, the rule of moving all
 * or nothing that this replaces; one that moves two threads needs only their share.
 */
public final class Replanner {
    /**
     * The outcome: the placement to apply, its score, the score of keeping every running workload
     * where it is, the best score found ignoring the cost of moves, how many running workloads
     * move, and the planner's mode.
     */
    public record Decision(Placement placement, double score, double keptScore, double optimalScore, int moved,
            PlanMode mode) {
    }

    private final Topology topology;
    private final double minGain;

    /** @param minGain the relative improvement that justifies moving a running thread (0.02 = 2 %) */
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

    /** The cost, in score units, of moving one running thread away from {@code current}. */
    public double migrationCost(PairingInput input, Placement current) {
        Placement live = current.retain(new HashSet<>(input.ids()));
        int cores = live.occupiedCores();
        return cores == 0 ? 0 : minGain * Math.abs(live.score(input)) / cores;
    }

    /**
     * The expected score of the same workloads without pinning, as a scheduler that knows no scores
     * places them: threads go to idle cores first and share a core only when none is idle, and
     * which threads share is left to chance (each pair of threads equally likely). Threads beyond
     * the topology's hardware threads time-share and add nothing.
     */
    public static double unpinnedScore(PairingInput input, Topology topology) {
        long threads = Math.min(input.threads(), topology.hardwareThreads());
        int cores = topology.coreCount();
        int sharable = 0;
        for (int c = 0; c < cores; c++) {
            sharable += topology.cpus(c).size() >= 2 ? 1 : 0;
        }
        long shared = Math.max(0, Math.min(threads - cores, sharable));
        long alone = Math.min(threads, cores) - shared;
        return alone * input.solo() + (shared == 0 ? 0 : shared * meanThreadPairScore(input));
    }

    /** The mean score over every pair of two different threads of the workloads. */
    private static double meanThreadPairScore(PairingInput input) {
        double sum = 0;
        int n = input.size();
        for (int i = 0; i < n; i++) {
            long wi = input.workers()[i];
            sum += wi * (wi - 1) / 2.0 * input.score(i, i);
            for (int j = i + 1; j < n; j++) {
                sum += wi * input.workers()[j] * input.score(i, j);
            }
        }
        long t = input.threads();
        return sum / (t * (t - 1) / 2.0);
    }

    public Decision decide(PairingInput input, Placement current) {
        Placement live = current.retain(new HashSet<>(input.ids()));
        Planner.Result r = Planner.place(input, topology, PlanMode.AUTO, live, migrationCost(input, live));
        return new Decision(r.placement(), r.score(), r.keptScore(), r.optimalScore(), r.moved(), r.mode());
    }
}
