// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.Profile;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** One managed process group and what the daemon has done to it. Owned by the daemon's lock. */
final class ManagedGroup {
    final int pgid;
    final int jobId;
    final int workers;
    /** The workers as the monitor reported them (before {@link #workers} was bounded by the topology). */
    final int reportedWorkers;
    final String name;
    /** The name its profile goes by instead of its job id (a Slurm job's), or null. */
    String profileName;
    /** Null while the job has no profile (it then has neutral scores). */
    Profile profile;
    /** The CPUs the group's leader had before it was first pinned: what a restore puts back. */
    final List<Integer> originalCpus;
    /** The CPUs it ran on when this daemon took it in (pinned already, after a restart). */
    final List<Integer> cpusAtArrival;
    /** Where the plan wants it and where the daemon's pins have put it; changed through {@link #pin(Pin)}. */
    Pin pin = Pin.ORIGINAL;
    /** Since when its applied CPUs are what they are; null while it has its original affinity. */
    Instant pinnedSince;
    /** The only CPUs it may be pinned to (a Slurm job's allocation), or null: anywhere in the topology. */
    final List<Integer> allowedCpus;
    /** Its leader's command line as it arrived, shortened; null when it could not be read. */
    final String command;
    /**
     * The affinity the group's leader showed after the daemon last set it (or when it arrived);
     * any other affinity means someone else changed it. Null while unknown: after a failed pin.
     */
    List<Integer> expected;
    /** Why the last pin failed, while the pin's applied CPUs lag behind the wanted ones. */
    String pinError;
    /** Failed pins since the last one that worked or the last change of plan. */
    int pinFailures;
    /** When (System.nanoTime) the next try of a failed pin is due. */
    long nextPinAt = System.nanoTime();
    /** The group's IPC_monitor slot, once the kernel has assigned one; -1 before. */
    int slot = -1;
    Monitor.Counters lastCounters;
    /** When (System.nanoTime) {@link #lastCounters} were read. */
    long countedAt = System.nanoTime() - Long.MAX_VALUE / 2;
    /** Instructions per cycle over the last interval (hardware counters), or NaN. */
    double ipc = Double.NaN;
    /** On-CPU seconds so far (software counters), or NaN. */
    double onCpuSeconds = Double.NaN;

    ManagedGroup(int pgid, int jobId, int workers, int reportedWorkers, String name, Profile profile,
            List<Integer> originalCpus, List<Integer> cpusAtArrival, List<Integer> allowedCpus, String command) {
        this.pgid = pgid;
        this.jobId = jobId;
        this.workers = workers;
        this.reportedWorkers = reportedWorkers;
        this.name = name;
        this.profile = profile;
        this.originalCpus = originalCpus;
        this.cpusAtArrival = cpusAtArrival;
        this.allowedCpus = allowedCpus;
        this.command = command;
    }

    /** Takes a new pin, and the time its applied CPUs changed when they did. */
    void pin(Pin next) {
        if (!Objects.equals(next.applied(), pin.applied())) {
            pinnedSince = next.applied() == null ? null : Instant.now();
        }
        pin = next;
    }

    /** The group's id in the score table and the plan. */
    String key() {
        return "pgid:" + pgid;
    }

    /** Takes the monitor's latest counters: IPC over the interval (hardware counters), or on-CPU time. */
    void counted(Monitor.Counters now) {
        if (now.hardware()) {
            if (lastCounters != null && now.cycles() > lastCounters.cycles()) {
                ipc = (double) (now.instructions() - lastCounters.instructions()) / (now.cycles() - lastCounters.cycles());
            }
        } else {
            onCpuSeconds = now.cycles() / 1e9;
        }
        lastCounters = now;
        countedAt = System.nanoTime();
    }

    /** Forgets the counters, as after the monitor zeroed them. */
    void countersReset() {
        lastCounters = null;
        ipc = Double.NaN;
        onCpuSeconds = Double.NaN;
    }

    /** Whether a pin is owed: the plan wants it elsewhere than it is, and any wait after a failure is over. */
    boolean pinDue(long now) {
        return pin.pending() && now - nextPinAt >= 0;
    }
}
