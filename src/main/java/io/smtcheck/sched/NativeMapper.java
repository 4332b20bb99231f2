// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

/** The JNI entry points of libsmtcheck.so; registered by the library's JNI_OnLoad. */
final class NativeMapper {
    static {
        NativeLibrary.load();
    }

    private NativeMapper() {
    }

    /** Cores of the online CPUs under a sysfs CPU directory, each an ascending CPU list. */
    static native int[][] readTopology(String sysfsCpuRoot);

    /** An explicit topology spec ("0,1;2,3"), every CPU checked against the online ones. */
    static native int[][] parseTopology(String spec, String sysfsCpuRoot);

    /**
     * Pair selection against where workloads run now ({@code current}: for each core the workload
     * index on each of its two hardware threads or -1; empty when nothing runs), charging
     * {@code migrationCost} for every running thread moved. Returns the mode that ran (0 auto,
     * 1 greedy, 2 exact), how many running workloads moved, then for each core the workload index
     * on each of its two hardware threads, or -1. {@code totals} receives the plan's score, the
     * score of keeping every running thread, and the best score found ignoring the cost.
     */
    static native int[] plan(int[] workers, double[] scores, double solo, int[][] cores, int mode, int[] current,
            double migrationCost, double[] totals);

    /** Pins a process group and its descendants; returns {processes found, tasks pinned}. */
    static native int[] setGroupAffinity(int pgid, int[] cpus);

    /** The CPUs a task may run on. */
    static native int[] getAffinity(int tid);

    /** Starts a command (searched in PATH) as the leader of a new process group; returns its pid. */
    static native int spawnGroupLeader(String[] argv);

    /** Waits for a child to end: its exit code, or 128 + the signal that killed it. */
    static native int waitExit(int pid);

    /** Signals every process of a group; false when the group is gone. */
    static native boolean signalGroup(int pgid, int signal);
}
