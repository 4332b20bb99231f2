// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import io.smtcheck.os.NativeCallException;
import java.util.List;

/** Commands started as the leader of a process group of their own, so that they can be managed whole. */
public final class GroupLauncher {
    private GroupLauncher() {
    }

    /**
     * Starts {@code command} (the first word searched in PATH); its pid is also its new group's id.
     *
     * @throws NativeCallException naming the command when it cannot be started
     */
    public static int start(List<String> command) {
        return NativeProcesses.spawnGroupLeader(command.toArray(new String[0]));
    }

    /** Waits for a child started here: its exit code, or 128 + the signal that ended it. */
    public static int waitFor(int pid) {
        return NativeProcesses.waitExit(pid);
    }

    /** Sends a signal ({@link io.smtcheck.os.Signals}) to every process of the group; false when none is left. */
    public static boolean signal(int pgid, int signal) {
        return NativeProcesses.signalGroup(pgid, signal);
    }
}
