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
 * each of its CPUs, or null. Immutable. Re-planning builds these and compares them: keeping what
 * runs where it is, against moving to the optimum, because every move costs cache warm-up.
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

    /** The placement a plan describes. */
    public static Placement of(Plan plan, Topology topology) {
        Placement p = empty(topology);
        for (Plan.CoreAssignment core : plan.cores()) {
            for (int i = 0; i < core.workloads().size(); i++) {
                p.slots[core.core()][i] = core.workloads().get(i);
            }
        }
        return p;
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

    /**
     * This placement with every thread of {@code input} that has no CPU yet put where it adds the
     * most: alone on an empty core, or beside a lone thread. What does not fit stays unplaced.
     * Nothing already placed moves.
     */
    public Placement fill(PairingInput input) {
        Placement p = copy();
        Map<String, Integer> index = indexOf(input);
        Map<String, Integer> placed = new HashMap<>();
        for (String[] core : p.slots) {
            for (String id : core) {
                if (id != null) {
                    placed.merge(id, 1, Integer::sum);
                }
            }
        }
        for (int w = 0; w < input.size(); w++) {
            String id = input.ids().get(w);
            for (int t = placed.getOrDefault(id, 0); t < input.workers()[w]; t++) {
                int bestCore = -1;
                int bestSlot = -1;
                double bestGain = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < p.slots.length; c++) {
                    List<String> o = p.occupants(c);
                    int free = firstFree(p.slots[c]);
                    if (free < 0) {
                        continue;
                    }
                    double gain = o.isEmpty() ? input.solo()
                            : input.score(w, index.get(o.get(0))) - input.solo();
                    if (gain > bestGain) {
                        bestGain = gain;
                        bestCore = c;
                        bestSlot = free;
                    }
                }
                if (bestCore < 0) {
                    break;
                }
                p.slots[bestCore][bestSlot] = id;
            }
        }
        return p;
    }

    /**
     * The same pairs as this placement, moved onto the cores and CPUs where {@code current} already
     * runs them wherever possible, so that applying it moves as few workloads as it can. Each group
     * moves only to a core of the size it has here, which keeps a core for every group.
     */
    public Placement alignedTo(Placement current) {
        Placement out = empty(topology);
        boolean[] used = new boolean[slots.length];
        boolean[] done = new boolean[slots.length];
        // First the groups of occupants that sit together on one current core, most shared first.
        for (int want = 2; want >= 1; want--) {
            for (int c = 0; c < slots.length; c++) {
                List<String> o = occupants(c);
                if (done[c] || o.isEmpty()) {
                    continue;
                }
                for (int target = 0; target < slots.length; target++) {
                    if (used[target] || slots[target].length != slots[c].length) {
                        continue;
                    }
                    if (shared(o, current.occupants(target)) >= Math.min(want, o.size())) {
                        out.place(target, o, current);
                        used[target] = done[c] = true;
                        break;
                    }
                }
            }
        }
        // The rest on the remaining cores of their size: as many are left as groups of that size.
        for (int c = 0; c < slots.length; c++) {
            List<String> o = occupants(c);
            if (done[c] || o.isEmpty()) {
                continue;
            }
            int target = 0;
            while (used[target] || slots[target].length != slots[c].length) {
                target++;
            }
            out.place(target, o, current);
            used[target] = true;
        }
        return out;
    }

    /** How many workloads would get a different CPU set going from {@code from} to this. */
    public int movesFrom(Placement from) {
        Map<String, List<Integer>> a = from.cpusByWorkload();
        Map<String, List<Integer>> b = cpusByWorkload();
        int moves = 0;
        for (var e : b.entrySet()) {
            if (!e.getValue().equals(a.get(e.getKey()))) {
                moves++;
            }
        }
        return moves;
    }

    /** Puts occupants on core {@code c}, each on the CPU it had there before if it had one. */
    private void place(int c, List<String> occupants, Placement current) {
        List<String> rest = new ArrayList<>(occupants);
        for (int i = 0; i < slots[c].length; i++) {
            String before = i < current.slots[c].length ? current.slots[c][i] : null;
            if (before != null && rest.remove(before)) {
                slots[c][i] = before;
            }
        }
        for (String id : rest) {
            slots[c][firstFree(slots[c])] = id;
        }
    }

    private static int shared(List<String> a, List<String> b) {
        List<String> rest = new ArrayList<>(b);
        int n = 0;
        for (String x : a) {
            if (rest.remove(x)) {
                n++;
            }
        }
        return n;
    }

    private static int firstFree(String[] core) {
        for (int i = 0; i < core.length; i++) {
            if (core[i] == null) {
                return i;
            }
        }
        return -1;
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
