// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import io.smtcheck.os.NativeLibrary;

/** The native process calls (native/src/process.cpp); registered by the library's JNI_OnLoad. */
final class NativeProcesses {
    static {
        NativeLibrary.load();
    }

    private NativeProcesses() {
    }

    /** Starts a command (searched in PATH) as the leader of a new process group; returns its pid. */
    static native int spawnGroupLeader(String[] argv);

    /** Waits for a child to end: its exit code, or 128 + the signal that killed it. */
    static native int waitExit(int pid);

    /** Signals every process of a group; false when the group is gone. */
    static native boolean signalGroup(int pgid, int signal);
}
