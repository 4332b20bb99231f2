// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which workload runs on which hardware thread: for each core of a topology, the workload id on
 * each of its CPUs, or null. Immutable. Re-planning hands the current one to the planner, which
 * weighs every move against its cost in cache warm-up.
 */
public final class Placement {
    private final Topology topology;
    private final String[][] slots; // [core][cpu index within the core]

    private Placement(Topology topology, String[][] slots) {
        this.topology = topology;
        this.slots = slots;
    }

    public static Placement empty(Topology topology) {
        String[][] s = new String[topology.coreCount()][];
        for (int c = 0; c < s.length; c++) {
            s[c] = new String[topology.cpus(c).size()];
        }
        return new Placement(topology, s);
    }

    /**
     * The placement the planner returned: from {@code offset}, for each core the index in {@code ids}
     * of the workload on each of its two hardware threads, or -1.
     */
    static Placement ofIndices(Topology topology, List<String> ids, int[] occupants, int offset) {
        Placement p = empty(topology);
        for (int c = 0; c < p.slots.length; c++) {
            for (int i = 0; i < p.slots[c].length; i++) {
                int w = occupants[offset + 2 * c + i];
                p.slots[c][i] = w >= 0 ? ids.get(w) : null;
            }
        }
        return p;
    }

    /** The planner's form of this placement: per core two entries, the index in {@code ids} or -1. */
    int[] toIndices(List<String> ids) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            index.put(ids.get(i), i);
        }
        int[] out = new int[2 * slots.length];
        Arrays.fill(out, -1);
        for (int c = 0; c < slots.length; c++) {
            for (int i = 0; i < slots[c].length; i++) {
                out[2 * c + i] = slots[c][i] == null ? -1 : index.getOrDefault(slots[c][i], -1);
            }
        }
        return out;
    }

    /**
     * The placement of workloads that already run pinned: each workload of {@code cpus} on those
     * CPUs. A workload with a CPU outside the topology, or one already taken, is left out whole.
     */
    public static Placement ofCpus(Map<String, List<Integer>> cpus, Topology topology) {
        Placement p = empty(topology);
        for (Map.Entry<String, List<Integer>> e : cpus.entrySet()) {
            List<int[]> where = new ArrayList<>();
            for (int cpu : e.getValue()) {
                int[] at = null;
                for (int c = 0; c < p.slots.length && at == null; c++) {
                    int i = topology.cpus(c).indexOf(cpu);
                    if (i >= 0 && p.slots[c][i] == null) {
                        at = new int[] {c, i};
                    }
                }
                if (at == null) {
                    where = null;
                    break;
                }
                where.add(at);
            }
            if (where != null) {
                where.forEach(at -> p.slots[at[0]][at[1]] = e.getKey());
            }
        }
        return p;
    }

    public Topology topology() {
        return topology;
    }

    /** The CPUs of each placed workload, ascending. */
    public Map<String, List<Integer>> cpusByWorkload() {
        Map<String, TreeSet<Integer>> sets = new LinkedHashMap<>();
        for (int c = 0; c < slots.length; c++) {
            for (int i = 0; i < slots[c].length; i++) {
                if (slots[c][i] != null) {
                    sets.computeIfAbsent(slots[c][i], k -> new TreeSet<>()).add(topology.cpus(c).get(i));
                }
            }
        }
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        sets.forEach((id, cpus) -> out.put(id, List.copyOf(cpus)));
        return out;
    }

    /** The workloads on core {@code c}, in CPU order. */
    public List<String> occupants(int c) {
        List<String> out = new ArrayList<>();
        for (String id : slots[c]) {
            if (id != null) {
                out.add(id);
            }
        }
        return out;
    }

    /** A core's score under {@code input}: a pair's score, solo for one thread, 0 when empty. */
    public double coreScore(int c, PairingInput input) {
        List<String> o = occupants(c);
        if (o.isEmpty()) {
            return 0;
        }
        if (o.size() == 1) {
            return input.solo();
        }
        Map<String, Integer> index = indexOf(input);
        return input.score(index.get(o.get(0)), index.get(o.get(1)));
    }

    public double score(PairingInput input) {
        double total = 0;
        for (int c = 0; c < slots.length; c++) {
            total += coreScore(c, input);
        }
        return total;
    }

    /** This placement with only the workloads of {@code keep} left on their CPUs. */
    public Placement retain(Set<String> keep) {
        Placement p = copy();
        for (String[] core : p.slots) {
            for (int i = 0; i < core.length; i++) {
                if (core[i] != null && !keep.contains(core[i])) {
                    core[i] = null;
                }
            }
        }
        return p;
    }

    /** How many cores hold at least one workload. */
    public int occupiedCores() {
        int n = 0;
        for (int c = 0; c < slots.length; c++) {
            n += occupants(c).isEmpty() ? 0 : 1;
        }
        return n;
    }

    private static Map<String, Integer> indexOf(PairingInput input) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < input.size(); i++) {
            index.put(input.ids().get(i), i);
        }
        return index;
    }

    private Placement copy() {
        String[][] s = new String[slots.length][];
        for (int c = 0; c < s.length; c++) {
            s[c] = Arrays.copyOf(slots[c], slots[c].length);
        }
        return new Placement(topology, s);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < slots.length; c++) {
            b.append(c == 0 ? "" : "; ").append(topology.cpus(c)).append('=').append(occupants(c));
        }
        return b.toString();
    }
}
