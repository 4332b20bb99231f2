// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.proc.ProcessIdentity;
import io.smtcheck.proc.ProcessTable;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts groups back on their original CPUs: those the daemon manages, and those recorded in the
 * state directory that a killed predecessor left pinned. Only a pin that is still the daemon's is
 * undone; any other affinity is someone else's choice.
 */
final class Restore {
    private static final Logger LOG = LoggerFactory.getLogger(Restore.class);

    private final DaemonOptions options;
    private final OriginalAffinity originals;
    private final ProcessTable processes;
    private final Pinning pinning;

    Restore(DaemonOptions options, OriginalAffinity originals, ProcessTable processes, Pinning pinning) {
        this.options = options;
        this.originals = originals;
        this.processes = processes;
        this.pinning = pinning;
    }

    /** Restores every group the daemon pinned, managed or recorded; the plan is emptied. Returns how many. */
    int all(DaemonState state) {
        int n = 0;
        for (ManagedGroup g : state.groups.values()) {
            g.pin = g.pin.wanting(null); // a failed pin waiting for its retry is not tried again either
            g.pinError = null;
            if (g.pin.applied() == null || !pinning.unpin(g.pgid, g.originalCpus)) {
                continue;
            }
            g.pin = Pin.ORIGINAL;
            g.expected = options.dryRun() ? g.expected : Pinning.groupAffinity(g.pgid).orElse(null);
            originals.recall(g.pgid).ifPresent(e -> originals.pinned(e, null));
            n++;
        }
        return n + recorded(state, false);
    }

    /**
     * Restores the groups recorded in the state directory that this daemon does not manage. With
     * {@code leaderless}, only groups whose leader has exited, which no monitor reports again; the
     * others wait to be reported.
     */
    int recorded(DaemonState state, boolean leaderless) {
        int n = 0;
        for (int pgid : originals.recorded()) {
            if (state.groups.containsKey(pgid)) {
                continue;
            }
            Optional<OriginalAffinity.Entry> e = originals.recall(pgid);
            if (e.isEmpty() || leaderless && processes.startTicks(pgid).orElse(-1) >= 0) {
                continue;
            }
            List<Integer> now = ProcessIdentity.ofGroup(pgid).flatMap(p -> Pinning.affinityOf(p.pid())).orElse(null);
            if (now != null && now.equals(e.get().pinned())) {
                if (!pinning.unpin(pgid, e.get().cpus())) {
                    continue;
                }
                LOG.info("group {}: restored its original affinity {}", pgid, AffinityPolicy.cpuList(e.get().cpus()));
                n++;
            } else if (now != null && e.get().pinned() != null) {
                LOG.info("group {}: not restored, someone else changed its affinity to {} since it was pinned", pgid,
                        AffinityPolicy.cpuList(now));
            }
            originals.forget(pgid);
        }
        return n;
    }
}
