// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.StringJoiner;

/** Physical cores, each with the CPU numbers of its sibling hardware threads. */
public final class Topology {
    public static final String SYSFS_CPU_ROOT = "/sys/devices/system/cpu";

    private final int[][] cores;

    private Topology(int[][] cores) {
        this.cores = cores;
    }

    /** This machine's cores, online CPUs only. */
    public static Topology ofThisMachine() {
        return new Topology(NativeTopology.readTopology(SYSFS_CPU_ROOT));
    }

    /**
     * An explicit topology: cores separated by ';', siblings by ',' ("0,1;2,3"). Every CPU must be
     * online on this machine and named once.
     *
     * @throws IllegalArgumentException with the reason when the spec is malformed
     */
    public static Topology parse(String spec) {
        return new Topology(NativeTopology.parseTopology(spec, SYSFS_CPU_ROOT));
    }

    /**
     * A topology of any shape, for planning what a machine would do without being on it (tests,
     * offline plans). CPUs need not be online here, but must be non-negative and named once.
     *
     * @throws IllegalArgumentException for an empty core or a repeated or negative CPU
     */
    public static Topology shape(List<List<Integer>> cores) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        int[][] out = new int[cores.size()][];
        for (int c = 0; c < out.length; c++) {
            if (cores.get(c).isEmpty()) {
                throw new IllegalArgumentException("core " + c + " has no CPU");
            }
            out[c] = cores.get(c).stream().mapToInt(Integer::intValue).sorted().toArray();
            for (int cpu : out[c]) {
                if (cpu < 0 || !seen.add(cpu)) {
                    throw new IllegalArgumentException("CPU " + cpu + " is negative or named twice");
                }
            }
        }
        return new Topology(out);
    }

    /**
     * This topology less {@code taken}: each core keeps its other CPUs, and a core left with none
     * is gone. The CPUs keep their numbers, so that a plan on it pins where it says.
     */
    public Topology without(Collection<Integer> taken) {
        List<List<Integer>> kept = new ArrayList<>();
        for (int[] core : cores) {
            List<Integer> rest = Arrays.stream(core).boxed().filter(cpu -> !taken.contains(cpu)).toList();
            if (!rest.isEmpty()) {
                kept.add(rest);
            }
        }
        return shape(kept);
    }

    public int coreCount() {
        return cores.length;
    }

    /** The CPUs of core {@code index}, ascending. */
    public List<Integer> cpus(int index) {
        return Arrays.stream(cores[index]).boxed().toList();
    }

    /** The index of the core that holds {@code cpu}, or -1. */
    public int coreOf(int cpu) {
        for (int c = 0; c < cores.length; c++) {
            for (int x : cores[c]) {
                if (x == cpu) {
                    return c;
                }
            }
        }
        return -1;
    }

    public int hardwareThreads() {
        return Arrays.stream(cores).mapToInt(c -> c.length).sum();
    }

    int[][] toArray() {
        return cores;
    }

    /** The spec form, which {@link #parse} reads back. */
    @Override
    public String toString() {
        StringJoiner spec = new StringJoiner(";");
        for (int[] core : cores) {
            StringJoiner siblings = new StringJoiner(",");
            for (int cpu : core) {
                siblings.add(Integer.toString(cpu));
            }
            spec.add(siblings.toString());
        }
        return spec.toString();
    }

    /** Every CPU of the topology. */
    public List<Integer> allCpus() {
        List<Integer> all = new ArrayList<>();
        for (int[] core : cores) {
            for (int cpu : core) {
                all.add(cpu);
            }
        }
        return all;
    }
}
