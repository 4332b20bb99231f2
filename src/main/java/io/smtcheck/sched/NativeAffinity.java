// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import io.smtcheck.os.NativeLibrary;

/**
 * The native affinity calls (native/src/affinity.cpp), which walk a process group and its
 * descendants; registered by the library's JNI_OnLoad. Only {@link GroupAffinity} calls them.
 */
final class NativeAffinity {
    static {
        NativeLibrary.load();
    }

    private NativeAffinity() {
    }

    /** Pins a process group and its descendants; returns {processes found, tasks pinned}. */
    static native int[] setGroupAffinity(int pgid, int[] cpus);

    /** The CPUs a task may run on. */
    static native int[] getAffinity(int tid);
}
