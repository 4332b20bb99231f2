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
    /** The CPUs it is pinned to now; null when it runs with its original affinity. */
    List<Integer> cpus;
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
