// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import io.smtcheck.os.NativeLibrary;

/** The native topology reader (native/src/topology.cpp); registered by the library's JNI_OnLoad. */
final class NativeTopology {
    static {
        NativeLibrary.load();
    }

    private NativeTopology() {
    }

    /** Cores of the online CPUs under a sysfs CPU directory, each an ascending CPU list. */
    static native int[][] readTopology(String sysfsCpuRoot);

    /** An explicit topology spec ("0,1;2,3"), every CPU checked against the online ones. */
    static native int[][] parseTopology(String spec, String sysfsCpuRoot);
}
