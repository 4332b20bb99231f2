// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.util.ArrayList;
import java.util.List;

/**
 * Pair selection: which workload threads share which physical core. Touches no process. One native
 * call plans, against where workloads run now when there is such a placement; the scores were
 * validated by {@link PairingInput}.
 *
 * <p>A workload never gets more threads placed than the topology has hardware threads, so only
 * that many of its workers are planned: the plan is the same, and its size (and time) stays
 * bounded by the topology however many workers are asked for. The rest are reported unplaced.
 */
public final class Planner {
    private Planner() {
    }

    /** What one planning call gave. */
    record Result(PlanMode mode, Placement placement, int moved, double score, double keptScore,
            double optimalScore) {
    }

    /** A plan from scratch, for {@code smtcheck plan}. */
    public static Plan plan(PairingInput input, Topology topology, PlanMode mode) {
        Result r = place(input, topology, mode, Placement.empty(topology), 0);
        Placement p = r.placement();
        int n = input.size();
        List<Plan.CoreAssignment> cores = new ArrayList<>();
        int[] placed = new int[n];
        double total = 0;
        for (int c = 0; c < topology.coreCount(); c++) {
            List<String> workloads = p.occupants(c);
            workloads.forEach(id -> placed[input.ids().indexOf(id)]++);
            // The score comes from the input, not from the native side, so that the total is
            // checkable against the matrix.
            double score = p.coreScore(c, input);
            total += score;
            cores.add(new Plan.CoreAssignment(c, topology.cpus(c), List.copyOf(workloads), score));
        }
        List<Plan.Unplaced> unplaced = new ArrayList<>();
        for (int w = 0; w < n; w++) {
            if (placed[w] < input.workers()[w]) {
                unplaced.add(new Plan.Unplaced(input.ids().get(w), input.workers()[w] - placed[w]));
            }
        }
        return new Plan(r.mode(), total, List.copyOf(cores), List.copyOf(unplaced));
    }

    /**
     * The placement to apply given where workloads run now ({@code current}, holding only
     * workloads of {@code input}) and what moving one running thread costs, in score units.
     */
    static Result place(PairingInput input, Topology topology, PlanMode mode, Placement current,
            double migrationCost) {
        int n = input.size();
        double[] flat = new double[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(input.scores()[i], 0, flat, i * n, n);
        }
        int[] planned = new int[n];
        for (int i = 0; i < n; i++) {
            planned[i] = Math.min(input.workers()[i], topology.hardwareThreads());
        }
        double[] totals = new double[3];
        int[] out = NativePairing.plan(planned, flat, input.solo(), topology.toArray(), mode.code(),
                current.toIndices(input.ids()), migrationCost, totals);
        Placement placement = Placement.ofIndices(topology, input.ids(), out, 2);
        return new Result(PlanMode.ofCode(out[0]), placement, out[1], totals[0], totals[1], totals[2]);
    }
}
