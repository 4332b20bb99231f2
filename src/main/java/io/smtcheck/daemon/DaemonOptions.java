// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the daemon runs.
 *
 * @param threshold       seconds a group must run before it is placed
 * @param interval        how often counters are read and /proc is scanned
 * @param dryRun          plan and log, pin nothing
 * @param minGain         the relative improvement that justifies moving a running thread (see Replanner)
 * @param restoreOnExit   put every pinned group's original affinity back on a clean stop
 * @param socket          the control socket
 * @param socketGroup     the group that may read status over the socket, or null
 * @param stateDir        where `smtcheck launch` records groups for the userspace monitor
 * @param forceUserspace  use the /proc monitor even when the kernel modules are loaded
 * @param affinityPolicy  which groups the daemon may pin
 */
public record DaemonOptions(int threshold, Duration interval, boolean dryRun, double minGain, boolean restoreOnExit,
        Path socket, String socketGroup, Path stateDir, boolean forceUserspace, AffinityPolicy affinityPolicy) {
    public DaemonOptions {
        if (affinityPolicy == null) {
            throw new IllegalArgumentException("affinityPolicy: missing");
        }
    }

    /** The options with the default affinity policy. */
    public DaemonOptions(int threshold, Duration interval, boolean dryRun, double minGain, boolean restoreOnExit,
            Path socket, String socketGroup, Path stateDir, boolean forceUserspace) {
        this(threshold, interval, dryRun, minGain, restoreOnExit, socket, socketGroup, stateDir, forceUserspace,
                AffinityPolicy.defaults());
    }
}
