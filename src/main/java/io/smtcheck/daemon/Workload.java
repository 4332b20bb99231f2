// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.Profile;
import java.util.List;

/** One managed process group and what the daemon has done to it. Owned by the daemon's lock. */
final class Workload {
    final int pgid;
    final int jobId;
    final int workers;
    final String name;
    /** Null while the job has no profile (it then has neutral scores). */
    Profile profile;
    /** The CPUs the group's leader had before it was first pinned: what a restore puts back. */
    final List<Integer> originalCpus;
    /** The CPUs it ran on when this daemon took it in (pinned already, after a restart). */
    final List<Integer> cpusAtArrival;
    /** The CPUs the plan gives it; null when the plan leaves it its original affinity. */
    List<Integer> cpus;
    /**
     * The CPUs the daemon's pins have really put it on; null while it has its original affinity.
     * It differs from {@link #cpus} while a pin has failed and waits to be tried again.
     */
    List<Integer> applied;
    /**
     * The affinity the group's leader showed after the daemon last set it (or when it arrived);
     * any other affinity means someone else changed it. Null while unknown: after a failed pin.
     */
    List<Integer> expected;
    /** Why the last pin failed, while {@link #applied} lags behind {@link #cpus}. */
    String pinError;
    /** Failed pins since the last one that worked or the last change of plan. */
    int pinFailures;
    /** When (System.nanoTime) the next try of a failed pin is due. */
    long nextPinAt = System.nanoTime();
    int slot = -1;
    Monitor.Counters lastCounters;
    long lastCountersAt;
    /** Instructions per cycle over the last interval (hardware counters), or NaN. */
    double ipc = Double.NaN;
    /** On-CPU seconds so far (software counters), or NaN. */
    double onCpuSeconds = Double.NaN;

    Workload(int pgid, int jobId, int workers, String name, Profile profile, List<Integer> originalCpus,
            List<Integer> cpusAtArrival) {
        this.pgid = pgid;
        this.jobId = jobId;
        this.workers = workers;
        this.name = name;
        this.profile = profile;
        this.originalCpus = originalCpus;
        this.cpusAtArrival = cpusAtArrival;
    }

    String key() {
        return key(pgid);
    }

    static String key(int pgid) {
        return "pgid:" + pgid;
    }
}
