// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.os.NativeCallException;
import io.smtcheck.proc.ProcessIdentity;
import io.smtcheck.sched.GroupAffinity;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a group's pin and undoes it. A pin that fails is recorded on the group and tried again
 * later, waiting longer each time, up to {@value #MAX_PIN_ATTEMPTS} tries; a target outside the
 * group's cpuset is never tried. The record in the state directory names the pin before it is
 * applied, so that a daemon killed right after it leaves a record its successor recognises.
 */
final class Pinning {
    private static final Logger LOG = LoggerFactory.getLogger(Pinning.class);
    /** Tries of one pin before the group is given up and left alone. */
    static final int MAX_PIN_ATTEMPTS = 5;
    private static final long MAX_PIN_BACKOFF_NS = 300_000_000_000L;

    enum Outcome { APPLIED, FAILED, GONE, GIVEN_UP }

    private final DaemonOptions options;
    private final OriginalAffinity originals;
    private final DaemonState state;

    Pinning(DaemonOptions options, OriginalAffinity originals, DaemonState state) {
        this.options = options;
        this.originals = originals;
        this.state = state;
    }

    /** Pins a group where its plan says (back to its original CPUs when the plan has no place for it). */
    Outcome pin(ManagedGroup g) {
        List<Integer> wanted = g.pin.wanted();
        boolean restoring = wanted == null;
        List<Integer> cpus = restoring ? g.originalCpus : wanted;
        String what = restoring ? "no hardware thread left for it: original affinity" : "CPUs";
        if (options.dryRun()) {
            LOG.info("dry run: would pin group {} ({}) to {} {}", g.pgid, g.name, what, cpus);
            g.pin(g.pin.done());
            return Outcome.APPLIED;
        }
        Optional<List<Integer>> cpuset = restoring ? Optional.empty()
                : ProcessIdentity.ofGroup(g.pgid).flatMap(ProcessIdentity::cpuset); // the original is always allowed
        if (cpuset.isPresent() && !new HashSet<>(cpuset.get()).containsAll(cpus)) {
            g.pinError = "CPUs " + AffinityPolicy.cpuList(cpus) + " are outside its cgroup's cpuset "
                    + AffinityPolicy.cpuList(cpuset.get());
            return Outcome.GIVEN_UP;
        }
        Optional<OriginalAffinity.Entry> record = originals.recall(g.pgid);
        record.ifPresent(e -> originals.pinned(e, wanted));
        try {
            GroupAffinity.Result r = GroupAffinity.pin(g.pgid, cpus);
            if (r.tasks() == 0) {
                LOG.info("group {} ({}) has no tasks left", g.pgid, g.name);
                return Outcome.GONE;
            }
            state.pins++;
            LOG.info("pinned group {} ({}): {} tasks in {} processes to {} {}", g.pgid, g.name, r.tasks(),
                    r.processes(), what, cpus);
            g.pin(g.pin.done());
            g.pinError = null;
            g.pinFailures = 0;
            g.expected = groupAffinity(g.pgid).orElse(cpus);
            return Outcome.APPLIED;
        } catch (NativeCallException | IllegalArgumentException e) {
            state.error(DaemonState.ErrorKind.PIN);
            state.pinFailures++;
            record.ifPresent(r -> originals.pinned(r, g.pin.applied()));
            g.pinFailures++;
            g.pinError = e.getMessage();
            g.expected = null; // some of its tasks may have been pinned before the failure
            if (g.pinFailures >= MAX_PIN_ATTEMPTS) {
                LOG.warn("cannot pin group {} ({}) to {} {}: {}; giving up after {} tries", g.pgid, g.name, what, cpus,
                        e.getMessage(), g.pinFailures);
                return Outcome.GIVEN_UP;
            }
            long backoff = Math.min(MAX_PIN_BACKOFF_NS, options.interval().toNanos() << (g.pinFailures - 1));
            g.nextPinAt = System.nanoTime() + backoff;
            LOG.warn("cannot pin group {} ({}) to {} {}: {}; trying again in {} s", g.pgid, g.name, what, cpus,
                    e.getMessage(), String.format(Locale.ROOT, "%.4f", backoff / 1e9));
            return Outcome.FAILED;
        }
    }

    /**
     * Moves a group onto {@code cpus} outside any plan (an in-situ profile's borrowed CPU): its pin
     * then says it is there, so that the pin check, a restore and the next plan see where it runs.
     * False, with the failure logged and counted, when it could not be moved.
     */
    boolean moveOnto(ManagedGroup g, List<Integer> cpus) {
        if (options.dryRun()) {
            g.pin(new Pin(cpus, cpus));
            return true;
        }
        Optional<OriginalAffinity.Entry> record = originals.recall(g.pgid);
        record.ifPresent(e -> originals.pinned(e, cpus));
        try {
            GroupAffinity.pin(g.pgid, cpus);
        } catch (NativeCallException | IllegalArgumentException e) {
            state.error(DaemonState.ErrorKind.PIN);
            state.pinFailures++;
            record.ifPresent(r -> originals.pinned(r, g.pin.applied()));
            g.expected = null; // some of its tasks may have moved before the failure
            LOG.warn("cannot move group {} ({}) onto CPUs {}: {}", g.pgid, g.name, cpus, e.getMessage());
            return false;
        }
        state.pins++;
        g.pin(new Pin(cpus, cpus));
        g.pinError = null;
        g.expected = groupAffinity(g.pgid).orElse(cpus);
        return true;
    }

    /** Puts a group back on its original CPUs, best effort (a failure is logged and counted). */
    boolean unpin(int pgid, List<Integer> original) {
        if (options.dryRun()) {
            return true;
        }
        try {
            GroupAffinity.pin(pgid, original);
            return true;
        } catch (NativeCallException | IllegalArgumentException e) {
            state.error(DaemonState.ErrorKind.RESTORE);
            LOG.warn("cannot restore group {}: {}", pgid, e.getMessage());
            return false;
        }
    }

    /** The affinity of the group's leader, or of a member where it has exited; empty when the group is gone. */
    static Optional<List<Integer>> groupAffinity(int pgid) {
        Optional<List<Integer>> leader = affinityOf(pgid);
        return leader.isPresent() ? leader : ProcessIdentity.ofGroup(pgid).flatMap(p -> affinityOf(p.pid()));
    }

    static Optional<List<Integer>> affinityOf(int pid) {
        try {
            return Optional.of(GroupAffinity.of(pid));
        } catch (NativeCallException e) {
            return Optional.empty();
        }
    }
}
