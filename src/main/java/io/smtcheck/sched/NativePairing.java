// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import io.smtcheck.os.NativeLibrary;

/** The native pair selection (native/src/pairing.cpp); registered by the library's JNI_OnLoad. */
final class NativePairing {
    static {
        NativeLibrary.load();
    }

    private NativePairing() {
    }

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
}
