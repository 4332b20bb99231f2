// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

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

    /** Part of the topology and the workloads planned on it alone. */
    public record Part(Topology topology, PairingInput input) {
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

    /**
     * Decides each allocation on its own: a workload of {@code allowed} (a Slurm job with part of
     * the node) is placed only on the CPUs of its allocation, the others only on the cores that
     * lie in no allocation. Each part is planned with the same minimum gain, and the decision's
     * scores and moves are the sums over the parts. Without allocations it is {@link #decide(PairingInput, Placement)}.
     *
     * @param allowed the CPUs each restricted workload may use; a workload not in it may use any core in no allocation
     * @throws IllegalArgumentException when two different allocations share a CPU
     */
    public Decision decide(PairingInput input, Placement current, Map<String, Set<Integer>> allowed) {
        if (allowed.isEmpty()) {
            return decide(input, current);
        }
        Map<String, List<Integer>> placed = new LinkedHashMap<>();
        double score = 0;
        double kept = 0;
        double optimal = 0;
        int moved = 0;
        PlanMode mode = PlanMode.AUTO;
        boolean first = true;
        for (Part part : parts(input, topology, allowed)) {
            if (part.topology().coreCount() == 0 || part.input().size() == 0) {
                continue; // nothing to place, or nowhere: its workloads stay unplaced
            }
            Placement here = Placement.ofCpus(current.retain(new HashSet<>(part.input().ids())).cpusByWorkload(),
                    part.topology());
            Decision d = new Replanner(part.topology(), minGain).decide(part.input(), here);
            placed.putAll(d.placement().cpusByWorkload());
            score += d.score();
            kept += d.keptScore();
            optimal += d.optimalScore();
            moved += d.moved();
            mode = first ? d.mode() : mode;
            first = false;
        }
        return new Decision(Placement.ofCpus(placed, topology), score, kept, optimal, moved, mode);
    }

    /** {@link #unpinnedScore(PairingInput, Topology)} summed over the parts that {@code allowed} makes. */
    public static double unpinnedScore(PairingInput input, Topology topology, Map<String, Set<Integer>> allowed) {
        if (allowed.isEmpty()) {
            return unpinnedScore(input, topology);
        }
        double total = 0;
        for (Part part : parts(input, topology, allowed)) {
            if (part.input().size() > 0) {
                total += unpinnedScore(part.input(), part.topology());
            }
        }
        return total;
    }

    /**
     * The parts a plan within allocations makes: one for each distinct allocation of {@code allowed},
     * on the cores of {@code topology} that hold CPUs of it (a core only partly inside counts with
     * those CPUs alone, so that its workloads keep within their CPUs), with the workloads of that
     * allocation; then one, last, on the cores that hold no CPU of any allocation, with every other
     * workload of {@code input}. Workloads of {@code allowed} that {@code input} lacks are ignored.
     *
     * @throws IllegalArgumentException when two different allocations share a CPU
     */
    public static List<Part> parts(PairingInput input, Topology topology, Map<String, Set<Integer>> allowed) {
        Map<Set<Integer>, List<String>> byAllocation = new LinkedHashMap<>();
        List<String> unrestricted = new ArrayList<>();
        for (String id : input.ids()) {
            Set<Integer> cpus = allowed.get(id);
            if (cpus == null) {
                unrestricted.add(id);
            } else {
                byAllocation.computeIfAbsent(new TreeSet<>(cpus), k -> new ArrayList<>()).add(id);
            }
        }
        Map<Integer, Set<Integer>> holder = new LinkedHashMap<>();
        for (Set<Integer> allocation : byAllocation.keySet()) {
            for (int cpu : allocation) {
                Set<Integer> other = holder.putIfAbsent(cpu, allocation);
                if (other != null) {
                    throw new IllegalArgumentException("the allocations of '" + byAllocation.get(other).get(0)
                            + "' (CPUs " + other + ") and '" + byAllocation.get(allocation).get(0) + "' (CPUs "
                            + allocation + ") share CPU " + cpu);
                }
            }
        }
        List<Part> parts = new ArrayList<>();
        byAllocation.forEach((allocation, ids) -> {
            List<List<Integer>> cores = new ArrayList<>();
            for (int c = 0; c < topology.coreCount(); c++) {
                List<Integer> inside = topology.cpus(c).stream().filter(allocation::contains).toList();
                if (!inside.isEmpty()) {
                    cores.add(inside);
                }
            }
            parts.add(new Part(Topology.shape(cores), input.subset(ids)));
        });
        List<List<Integer>> free = new ArrayList<>();
        for (int c = 0; c < topology.coreCount(); c++) {
            if (topology.cpus(c).stream().noneMatch(holder::containsKey)) {
                free.add(topology.cpus(c));
            }
        }
        parts.add(new Part(Topology.shape(free), input.subset(unrestricted)));
        return parts;
    }
}
