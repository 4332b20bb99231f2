// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.util.ArrayList;
import java.util.List;

/**
 * Pair selection: which workload threads share which physical core. Touches no process.
 *
 * <p>A workload never gets more threads placed than the topology has hardware threads, so only
 * that many of its workers are planned: the plan is the same, and its size (and time) stays
 * bounded by the topology however many workers are asked for. The rest are reported unplaced.
 */
public final class Planner {
    private Planner() {
    }

    public static Plan plan(PairingInput input, Topology topology, PlanMode mode) {
        int n = input.size();
        double[] flat = new double[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(input.scores()[i], 0, flat, i * n, n);
        }
        int[] planned = new int[n];
        for (int i = 0; i < n; i++) {
            planned[i] = Math.min(input.workers()[i], topology.hardwareThreads());
        }
        int[] out = NativeMapper.plan(planned, flat, input.solo(), topology.toArray(), mode.code());

        List<Plan.CoreAssignment> cores = new ArrayList<>();
        int[] placed = new int[n];
        double total = 0;
        for (int c = 0; c < topology.coreCount(); c++) {
            List<Integer> cpus = topology.cpus(c);
            List<String> workloads = new ArrayList<>();
            int first = out[1 + 2 * c];
            int second = out[2 + 2 * c];
            for (int w : new int[] {first, second}) {
                if (w >= 0) {
                    workloads.add(input.ids().get(w));
                    placed[w]++;
                }
            }
            // The score comes from the input, not from the native side, so that the total is
            // checkable against the matrix.
            double score = first >= 0 && second >= 0 ? input.score(first, second) : first >= 0 ? input.solo() : 0.0;
            total += score;
            cores.add(new Plan.CoreAssignment(c, cpus, List.copyOf(workloads), score));
        }
        List<Plan.Unplaced> unplaced = new ArrayList<>();
        for (int w = 0; w < n; w++) {
            if (placed[w] < input.workers()[w]) {
                unplaced.add(new Plan.Unplaced(input.ids().get(w), input.workers()[w] - placed[w]));
            }
        }
        return new Plan(PlanMode.ofCode(out[0]), total, List.copyOf(cores), List.copyOf(unplaced));
    }
}
