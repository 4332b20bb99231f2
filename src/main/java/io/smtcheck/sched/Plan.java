// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A placement of workload threads on cores.
 *
 * @param mode     the mode that ran (never {@link PlanMode#AUTO})
 * @param total    the sum of the cores' scores
 * @param cores    every core of the topology, in order, with what it holds
 * @param unplaced workloads with threads that found no hardware thread
 */
public record Plan(PlanMode mode, double total, List<CoreAssignment> cores, List<Unplaced> unplaced) {

    /**
     * One core: its CPUs and the workloads on them, one entry per occupied hardware thread in CPU
     * order (a workload twice when it shares the core with itself).
     */
    public record CoreAssignment(int core, List<Integer> cpus, List<String> workloads, double score) {
    }

    public record Unplaced(String id, int threads) {
    }

    /** The CPUs each placed workload gets: the hardware threads its threads were given. */
    public Map<String, List<Integer>> cpusByWorkload() {
        Map<String, TreeSet<Integer>> sets = new LinkedHashMap<>();
        for (CoreAssignment core : cores) {
            for (int slot = 0; slot < core.workloads().size(); slot++) {
                sets.computeIfAbsent(core.workloads().get(slot), k -> new TreeSet<>()).add(core.cpus().get(slot));
            }
        }
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        sets.forEach((id, cpus) -> out.put(id, new ArrayList<>(cpus)));
        return out;
    }
}
