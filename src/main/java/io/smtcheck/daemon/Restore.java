// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.proc.ProcessIdentity;
import io.smtcheck.proc.ProcessTable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts groups back on their original CPUs: those the daemon manages, and those recorded in the
 * state directory that a killed predecessor left pinned. Only a pin that is still the daemon's is
 * undone; any other affinity is someone else's choice.
 *
 * <p>Like {@link Admission}, a restore runs in two steps, so that a slow state directory or /proc
 * never holds up the daemon's loop or a control request: {@link #look} reads the records and where
 * the recorded groups run, outside the daemon's lock; {@link #all} and {@link #recorded} (under the
 * lock) undo the pins, checking each group's affinity again with one system call, and update the
 * records.
 */
final class Restore {
    private static final Logger LOG = LoggerFactory.getLogger(Restore.class);

    /** A recorded group the daemon did not manage when it was looked at: its record, and where it ran. */
    record Unmanaged(OriginalAffinity.Entry entry, int pid, List<Integer> cpus) {
    }

    /**
     * What {@link #look} read: the records of the managed groups that were pinned, and the other
     * recorded groups.
     */
    record Look(Map<Integer, OriginalAffinity.Entry> pinned, Map<Integer, Unmanaged> unmanaged) {
    }

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

    /**
     * Reads the records of the state directory, outside the lock: of the groups in {@code pinned}
     * (managed and pinned), and of those not in {@code managed}, with the CPUs each runs on. With
     * {@code leaderless}, only unmanaged groups whose leader has exited, which no monitor reports
     * again; the others wait to be reported.
     */
    Look look(Set<Integer> managed, Set<Integer> pinned, boolean leaderless) {
        Map<Integer, OriginalAffinity.Entry> ofPinned = new LinkedHashMap<>();
        Map<Integer, Unmanaged> unmanaged = new LinkedHashMap<>();
        for (int pgid : originals.recorded()) {
            if (managed.contains(pgid)) {
                if (pinned.contains(pgid)) {
                    originals.recall(pgid).ifPresent(e -> ofPinned.put(pgid, e));
                }
                continue;
            }
            Optional<OriginalAffinity.Entry> e = originals.recall(pgid);
            if (e.isEmpty() || leaderless && processes.startTicks(pgid).orElse(-1) >= 0) {
                continue;
            }
            Optional<ProcessIdentity> member = ProcessIdentity.ofGroup(pgid);
            List<Integer> cpus = member.flatMap(p -> Pinning.affinityOf(p.pid())).orElse(null);
            unmanaged.put(pgid, new Unmanaged(e.get(), member.map(ProcessIdentity::pid).orElse(-1), cpus));
        }
        return new Look(ofPinned, unmanaged);
    }

    /**
     * Restores every group the daemon pinned, managed or recorded, from what {@code look} read; the
     * plan is emptied. Returns how many. A group pinned after the look has its record read here.
     */
    int all(DaemonState state, Look look) {
        int n = 0;
        for (ManagedGroup g : state.groups.values()) {
            g.pin = g.pin.wanting(null); // a failed pin waiting for its retry is not tried again either
            g.pinError = null;
            if (g.pin.applied() == null || !pinning.unpin(g.pgid, g.originalCpus)) {
                continue;
            }
            g.pin(Pin.ORIGINAL);
            g.expected = options.dryRun() ? g.expected : Pinning.groupAffinity(g.pgid).orElse(null);
            OriginalAffinity.Entry seen = look.pinned().get(g.pgid);
            (seen != null ? Optional.of(seen) : originals.recall(g.pgid)).ifPresent(e -> originals.pinned(e, null));
            n++;
        }
        return n + recorded(state, look);
    }

    /** Restores the recorded groups of {@code look} that this daemon does not manage. Returns how many. */
    int recorded(DaemonState state, Look look) {
        int n = 0;
        for (Map.Entry<Integer, Unmanaged> u : look.unmanaged().entrySet()) {
            int pgid = u.getKey();
            if (state.groups.containsKey(pgid)) {
                continue; // taken in since the look: its record is its own now
            }
            OriginalAffinity.Entry e = u.getValue().entry();
            // Where it runs now: its affinity may have changed since the look.
            List<Integer> now = u.getValue().cpus() == null ? null
                    : Pinning.affinityOf(u.getValue().pid()).orElse(null);
            if (now != null && now.equals(e.pinned())) {
                if (!pinning.unpin(pgid, e.cpus())) {
                    continue;
                }
                LOG.info("group {}: restored its original affinity {}", pgid, AffinityPolicy.cpuList(e.cpus()));
                n++;
            } else if (now != null && e.pinned() != null) {
                LOG.info("group {}: not restored, someone else changed its affinity to {} since it was pinned", pgid,
                        AffinityPolicy.cpuList(now));
            }
            originals.forget(pgid);
        }
        return n;
    }
}
