// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.kernel.GroupCounters;
import io.smtcheck.kernel.KernelCallException;
import io.smtcheck.model.Profile;
import io.smtcheck.procfs.LaunchRegistry;
import io.smtcheck.procfs.ProcessGroup;
import io.smtcheck.procfs.ProcessTable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The monitor for machines without the kernel modules: every interval it scans /proc for process
 * groups that either were started with {@code smtcheck launch} or match a profile's process rule,
 * and reports those that have run past the threshold; groups whose processes are all gone are
 * reported as exited. Reported groups are counted with perf_event_open (hardware cycles and
 * instructions where the CPU has them, on-CPU time otherwise); without perf, IPC is unknown.
 */
final class UserspaceMonitor implements Monitor {
    private final ProcessTable processes;
    private final LaunchRegistry launched;
    private final ProfileSource profiles;
    private final double thresholdSeconds;
    private final Duration interval;
    private final GroupCounters counters; // null when perf_event_open is unavailable
    private final String countersProblem;
    private final int ownGroup = (int) ProcessHandle.current().pid();
    private final Set<Integer> reported = new HashSet<>();
    /** Reported groups whose tasks are counted: their later tasks are inherited, so once is enough. */
    private final Set<Integer> counted = new HashSet<>();
    /** Groups that matched no profile, and the profile list they were checked against. */
    private final Map<Integer, List<Profile>> unmatched = new HashMap<>();
    private long nextScan;

    UserspaceMonitor(ProcessTable processes, LaunchRegistry launched, ProfileSource profiles, int thresholdSeconds,
            Duration interval) {
        this.processes = processes;
        this.launched = launched;
        this.profiles = profiles;
        this.thresholdSeconds = thresholdSeconds;
        this.interval = interval;
        GroupCounters c = null;
        String problem = null;
        try {
            c = GroupCounters.open();
        } catch (KernelCallException e) {
            problem = e.getMessage();
        }
        this.counters = c;
        this.countersProblem = problem;
    }

    @Override
    public String describe() {
        String ipc = counters == null ? "IPC unknown (" + countersProblem + ")"
                : counters.mode() == GroupCounters.Mode.HARDWARE ? "IPC from perf hardware counters"
                : "on-CPU time from perf (no hardware counters)";
        return "userspace (/proc scan every " + interval.toMillis() + " ms; launched groups from "
                + launched.directory() + "; " + ipc + ")";
    }

    @Override
    public List<Event> poll() throws IOException, InterruptedException {
        long wait = nextScan - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(Math.min(wait / 1_000_000 + 1, 250));
            if (nextScan - System.nanoTime() > 0) {
                return List.of();
            }
        }
        nextScan = System.nanoTime() + interval.toNanos();
        return scan();
    }

    List<Event> scan() throws IOException {
        Map<Integer, LaunchRegistry.Entry> registered = new HashMap<>();
        for (LaunchRegistry.Entry e : launched.entries()) {
            registered.put(e.pgid(), e);
        }
        List<Profile> known = null;
        List<Event> events = new ArrayList<>();
        Set<Integer> alive = new HashSet<>();
        for (ProcessGroup g : processes.groups()) {
            alive.add(g.pgid());
            if (reported.contains(g.pgid())) {
                if (counted.add(g.pgid())) {
                    count(g);
                }
                continue;
            }
            if (g.pgid() == ownGroup || g.ageSeconds() < thresholdSeconds) {
                continue;
            }
            LaunchRegistry.Entry e = registered.get(g.pgid());
            if (e != null) {
                events.add(new Detected(g.pgid(), e.jobId(), e.workers(), (long) g.ageSeconds(), g.leaderComm()));
                reported.add(g.pgid());
                unmatched.remove(g.pgid());
                continue;
            }
            if (known == null) {
                known = profiles.all();
            }
            if (unmatched.get(g.pgid()) == known) {
                continue; // checked against these very profiles already
            }
            Profile match = match(g, known);
            if (match == null) {
                unmatched.put(g.pgid(), known);
            } else {
                events.add(new Detected(g.pgid(), match.jobId(), match.workers(), (long) g.ageSeconds(), g.leaderComm()));
                reported.add(g.pgid());
                unmatched.remove(g.pgid());
            }
        }
        unmatched.keySet().retainAll(alive);
        for (var it = reported.iterator(); it.hasNext();) {
            int pgid = it.next();
            if (!alive.contains(pgid)) {
                it.remove();
                counted.remove(pgid);
                if (counters != null) {
                    counters.forget(pgid);
                }
                events.add(new Exited(pgid));
            }
        }
        return events;
    }

    /** Counts every task of a reported group; new tasks of counted ones are inherited anyway. */
    private void count(ProcessGroup g) {
        if (counters == null) {
            return;
        }
        List<Integer> tids = new ArrayList<>();
        for (int pid : g.pids()) {
            tids.addAll(processes.tasks(pid));
        }
        try {
            counters.track(g.pgid(), tids);
        } catch (KernelCallException e) {
            // Counting is best effort: a group that cannot be counted is still placed.
        }
    }

    private Profile match(ProcessGroup g, List<Profile> known) {
        String cmdline = null;
        for (Profile p : known) {
            if (p.match().comm() != null && !p.match().comm().equals(g.leaderComm())) {
                continue; // decided by the name alone: no need to read the command line
            }
            if (cmdline == null) {
                cmdline = processes.cmdline(g.leaderPid());
                if (cmdline == null) {
                    return null; // gone
                }
            }
            if (p.matches(g.leaderComm(), cmdline)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public void acknowledge(int pgid, int jobId) {
        // Nothing to tell: there is no kernel side.
    }

    @Override
    public Optional<Counters> counters(int pgid) {
        GroupCounters.Values v = counters == null ? null : counters.read(pgid);
        return v == null ? Optional.empty()
                : Optional.of(new Counters(v.cycles(), v.instructions(), counters.mode() == GroupCounters.Mode.HARDWARE));
    }

    @Override
    public void resetCounters() {
        if (counters != null) {
            counters.reset();
        }
    }

    @Override
    public void close() {
        if (counters != null) {
            counters.close();
        }
    }
}
