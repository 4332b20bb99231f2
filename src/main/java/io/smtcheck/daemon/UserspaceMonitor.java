// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.kernel.GroupCounters;
import io.smtcheck.kernel.KernelCallException;
import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.ProcessMatch;
import io.smtcheck.model.Profile;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.proc.ProcessGroup;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.proc.SlurmJob;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The monitor for machines without the kernel modules: every interval it scans /proc for process
 * groups that were started with {@code smtcheck launch}, run in a Slurm job (reported with the
 * Slurm job id, see {@link SlurmJob}), or match a profile's process rule, and reports those that
 * have run past the threshold; groups whose processes are all gone are reported as exited. Reported groups are counted with perf_event_open (hardware cycles and
 * instructions where the CPU has them, on-CPU time otherwise); without perf, IPC is unknown.
 *
 * <p>The leader of each long-running group not yet reported is read afresh on every scan (one small
 * file each), so that a leader that execs its real program after it was first checked (a job script
 * ending in {@code exec prog}) is checked again at once. A profile whose rule cannot be evaluated is
 * skipped with a warning; the other profiles and groups are still checked. A launch record whose
 * leader is not the process that was launched is left over from an earlier group with that number:
 * it is removed, not used.
 *
 * <p>What it keeps of groups is its own bookkeeping, not a list of managed groups (that is the
 * daemon's state): which groups it has reported, so that each is reported once and its exit
 * reported when its processes are gone; which of them it counts with perf; and which groups matched
 * no profile, so that an unchanged leader is not matched again. A group the daemon leaves alone is
 * still one it reported.
 */
final class UserspaceMonitor implements Monitor {
    private static final Logger LOG = LoggerFactory.getLogger(UserspaceMonitor.class);
    /** A profile that keeps failing is warned about at most this often, not on every scan. */
    static final long WARN_EVERY_NS = 600_000_000_000L;

    private record Checked(List<Profile> profiles, ProcessTable.Program leader) {
    }

    private final ProcessTable processes;
    private final LaunchRegistry launched;
    private final ProfileSource profiles;
    private final double thresholdSeconds;
    private final Duration interval;
    private final GroupCounters counters; // null when perf_event_open is unavailable
    private final String countersProblem;
    private final int ownGroup = (int) ProcessHandle.current().pid();
    /** Groups reported as detected and not yet as exited. */
    private final Set<Integer> reported = new HashSet<>();
    /** Reported groups whose tasks are counted: their later tasks are inherited, so once is enough. */
    private final Set<Integer> counted = new HashSet<>();
    /** Groups that matched no profile, with what was checked: the profile list and the leader's program. */
    private final Map<Integer, Checked> unmatched = new HashMap<>();
    /** When each profile (by job id) was last warned about. */
    private final Map<Integer, Long> lastWarned = new HashMap<>();
    private final AtomicLong profileErrors = new AtomicLong();
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
        boolean anyRule = false;
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
            if (e != null && !ofThisGroup(e)) {
                LOG.warn("ignoring the launch record of group {} (job {}): process {} is gone or is not the one"
                        + " that was launched (the number was reused); the record is removed", e.pgid(), e.jobId(),
                        e.pgid());
                drop(e);
                e = null;
            }
            if (e != null) {
                events.add(new Detected(g.pgid(), e.jobId(), e.workers(), (long) g.ageSeconds(), g.leaderComm()));
                reported.add(g.pgid());
                unmatched.remove(g.pgid());
                continue;
            }
            if (known == null) {
                known = profiles.all();
                anyRule = known.stream().anyMatch(p -> p.match() != null);
            }
            // Read afresh: a leader that execs keeps its pid, and a cached name would hide the new program.
            ProcessTable.Program leader = processes.program(g.leaderPid());
            if (leader == null) {
                continue; // gone
            }
            Checked before = unmatched.get(g.pgid());
            if (before != null && before.profiles() == known && before.leader().equals(leader)) {
                continue; // this very program was checked against these very profiles already
            }
            Optional<SlurmJob> job = processes.slurmJob(leader.pid()).filter(j -> j.isWorkload(leader.comm()));
            if (job.isPresent()) {
                events.add(slurmJob(g, job.get(), leader, known));
                reported.add(g.pgid());
                unmatched.remove(g.pgid());
                continue;
            }
            Profile match = anyRule ? match(leader, known) : null;
            if (match == null) {
                unmatched.put(g.pgid(), new Checked(known, leader));
            } else {
                events.add(new Detected(g.pgid(), match.jobId(), match.workers(), (long) g.ageSeconds(), leader.comm()));
                reported.add(g.pgid());
                unmatched.remove(g.pgid());
            }
        }
        unmatched.keySet().retainAll(alive);
        for (LaunchRegistry.Entry e : registered.values()) {
            // The scan's view of a group may be a few seconds old: ask /proc itself before deleting.
            if (!alive.contains(e.pgid()) && !processes.groupAlive(e.pgid())) {
                LOG.info("removing the launch record of group {} (job {}): the group has ended", e.pgid(), e.jobId());
                drop(e);
            }
        }
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

    /** Whether the process that leads the record's group is the one that was launched, not a later one with its pid. */
    private boolean ofThisGroup(LaunchRegistry.Entry e) {
        return processes.startTicks(e.pgid()).orElse(-1) == e.leaderStartTicks();
    }

    /** Removes a launch record left by a launcher that did not remove it (killed, or not allowed to). */
    private void drop(LaunchRegistry.Entry e) {
        try {
            launched.remove(e);
        } catch (IOException x) {
            LOG.warn("cannot remove the launch record of group {}: {}", e.pgid(), x.getMessage());
        }
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

    /**
     * The report of a Slurm job's group: the Slurm job id as its job id, and as its profile the one
     * named as the job, else one whose process rule matches, else none (never the profile whose job
     * id happens to equal the Slurm one). Its workers: the profile's, else the CPUs per task asked for.
     */
    private Detected slurmJob(ProcessGroup g, SlurmJob job, ProcessTable.Program leader, List<Profile> known) {
        Profile profile = job.name().isEmpty() ? null
                : known.stream().filter(p -> p.name().equals(job.name())).findFirst().orElse(null);
        if (profile == null) {
            profile = match(leader, known);
        }
        int workers = profile != null ? profile.workers() : job.cpusPerTask().orElse(1);
        String name = job.name().isEmpty() ? leader.comm() : job.name();
        LOG.info("group {} is {}{}", g.pgid(), job.label(),
                profile == null ? ", which matches no profile" : ", profile " + profile.label());
        return new Detected(g.pgid(), job.jobId(), workers, (long) g.ageSeconds(), name,
                profile == null ? "" : profile.name());
    }

    private Profile match(ProcessTable.Program leader, List<Profile> known) {
        String cmdline = null;
        for (Profile p : known) {
            ProcessMatch rule = p.match();
            if (rule == null) {
                continue; // known by its job id only
            }
            if (rule.comm() != null && !rule.comm().equals(leader.comm())) {
                continue; // decided by the name alone: no need to read the command line
            }
            if (cmdline == null) {
                cmdline = processes.cmdline(leader.pid());
                if (cmdline == null) {
                    return null; // gone
                }
            }
            try {
                if (rule.matches(leader.comm(), cmdline)) {
                    return p;
                }
            } catch (InvalidDataException e) {
                unusable(p, e.getMessage());
            }
        }
        return null;
    }

    /** A profile whose rule could not be evaluated: skipped for this process, the others still tried. */
    private void unusable(Profile p, String why) {
        profileErrors.incrementAndGet();
        long now = System.nanoTime();
        Long last = lastWarned.get(p.jobId());
        if (last == null || now - last >= WARN_EVERY_NS) {
            lastWarned.put(p.jobId(), now);
            LOG.warn("profile {}: {}; the profile is skipped for this process (warned again in {} minutes at the"
                    + " earliest)", p.label(), why, WARN_EVERY_NS / 60_000_000_000L);
        }
    }

    /** How many times a profile's process rule could not be evaluated on a process (each time it was skipped). */
    long profileErrors() {
        return profileErrors.get();
    }

    @Override
    public Optional<Long> profileRuleErrors() {
        return Optional.of(profileErrors());
    }

    /** Records the group as {@code smtcheck launch} run by root would, for the next scans. */
    @Override
    public String register(int pgid, int jobId, int workers) throws IOException {
        long start = processes.startTicks(pgid).orElseThrow(
                () -> new IllegalArgumentException("pgid: process group " + pgid + " is not running"));
        String command = processes.cmdline(pgid);
        launched.add(new LaunchRegistry.Entry(pgid, jobId, workers, command == null ? "" : command,
                Instant.now().getEpochSecond(), start));
        return "recorded in " + launched.directory() + " for the userspace monitor";
    }

    @Override
    public void acknowledge(int pgid, int jobId) {
        // Nothing to tell: there is no kernel side.
    }

    @Override
    public Optional<Counters> counters(int pgid, int slot) {
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
