// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.Profile;
import io.smtcheck.proc.ProcessIdentity;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.proc.SlurmJob;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a reported group becomes a managed one: the affinity policy, the record an earlier
 * daemon left, and the group's profile. It runs in two steps, so that what reads /proc, the
 * state directory and the profile store runs outside the daemon's lock: {@link #observe} looks,
 * {@link #admit} (under the lock) decides against the daemon's state.
 */
final class Admission {
    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);

    /** What was seen of a reported group, before the daemon's state is consulted. */
    record Arrival(Monitor.Detected report, long leaderStartTicks, ProcessIdentity leader, List<Integer> current,
            List<Integer> original, List<Integer> pinnedBefore, Optional<String> refusal, Optional<Profile> profile,
            String command) {
        int pgid() {
            return report.pgid();
        }

        String shownName() {
            return report.name().isEmpty() ? "job " + report.jobId() : report.name();
        }
    }

    static final int COMMAND_LENGTH = 200;

    private final AffinityPolicy policy;
    private final OriginalAffinity originals;
    private final ProfileSource profiles;
    private final ProcessTable processes;
    private final Topology topology;
    private final Pinning pinning;

    Admission(AffinityPolicy policy, OriginalAffinity originals, ProfileSource profiles, ProcessTable processes,
            Topology topology, Pinning pinning) {
        this.policy = policy;
        this.originals = originals;
        this.profiles = profiles;
        this.processes = processes;
        this.topology = topology;
        this.pinning = pinning;
    }

    /**
     * Looks at a reported group: its leader, affinity, recorded original, the policy's verdict and
     * its profile (filing a profiling request when it has none). Touches no daemon state.
     */
    Arrival observe(Monitor.Detected d) {
        long start = processes.startTicks(d.pgid()).orElse(-1);
        Optional<ProcessIdentity> leader = ProcessIdentity.ofGroup(d.pgid());
        List<Integer> current = leader.flatMap(p -> Pinning.affinityOf(p.pid())).orElse(null);
        if (current == null) {
            return new Arrival(d, start, null, null, null, null, Optional.empty(), Optional.empty(), null);
        }
        // A group pinned by an earlier daemon that died keeps the original it recorded then; it is
        // that daemon's pin only while the group is still where it was pinned.
        Optional<OriginalAffinity.Entry> record = originals.recall(d.pgid());
        List<Integer> pinnedBefore = record.map(OriginalAffinity.Entry::pinned).filter(current::equals).orElse(null);
        List<Integer> original = pinnedBefore != null ? record.get().cpus() : current;
        Optional<String> refusal = processes.slurmJob(leader.get().pid())
                .flatMap(job -> outsideAllocation(job, leader.get(), original))
                .or(() -> policy.refusal(leader.get(), original, usableWithoutCpuset(), topology.allCpus()));
        Optional<Profile> profile = Optional.empty();
        if (refusal.isEmpty() && d.profileName() != null) {
            // A Slurm job: its id is new with every submission, so its profile goes by name, and a
            // profile filed under this id would never be used again.
            profile = profiles.all().stream().filter(p -> p.name().equals(d.profileName())).findFirst();
        } else if (refusal.isEmpty()) {
            profile = profiles.byJob(d.jobId());
            if (profile.isEmpty()) {
                profiles.requestProfile(d.jobId(), d.name().isEmpty() ? "job " + d.jobId() : d.name());
            }
        }
        return new Arrival(d, start, leader.get(), current, original, pinnedBefore, refusal, profile,
                shortened(processes.cmdline(d.pgid())));
    }

    /**
     * Observes the groups of {@code events} that were neither managed nor left alone when the
     * daemon's state was last looked at ({@code managed}, and the leader start of each group left
     * alone): a repeated report costs no look.
     */
    Map<Integer, Arrival> observeNew(List<Monitor.Event> events, Set<Integer> managed, Map<Integer, Long> leftAlone) {
        Map<Integer, Arrival> seen = new HashMap<>();
        for (Monitor.Event e : events) {
            if (e instanceof Monitor.Detected d && !managed.contains(d.pgid()) && !seen.containsKey(d.pgid())) {
                Long aloneSince = leftAlone.get(d.pgid());
                if (aloneSince == null || aloneSince != processes.startTicks(d.pgid()).orElse(-1)) {
                    seen.put(d.pgid(), observe(d));
                }
            }
        }
        return seen;
    }

    /**
     * Takes a reported group in (without planning), from what {@code observed} saw of it (null when
     * it was not looked at); null when it is known already, gone, or left alone. A repeated report
     * of a managed group is acknowledged again: the kernel wants its answer.
     */
    ManagedGroup admit(Monitor.Detected d, Arrival observed, DaemonState state, Monitor monitor) {
        if (state.groups.containsKey(d.pgid())) {
            monitor.acknowledge(d.pgid(), d.jobId());
            return null;
        }
        long start = observed != null ? observed.leaderStartTicks() : processes.startTicks(d.pgid()).orElse(-1);
        DaemonState.LeftAlone known = state.leftAlone.get(d.pgid());
        if (known != null && known.leaderStartTicks() == start) {
            return null; // reported again: still not the daemon's to pin
        }
        Arrival a = observed;
        if (a == null || a.pinnedBefore() != null
                && !Pinning.groupAffinity(d.pgid()).equals(Optional.of(a.pinnedBefore()))) {
            a = observe(d); // the state changed since the look, or a reset restored the group meanwhile
        }
        state.leftAlone.remove(d.pgid());
        if (a.current() == null) {
            LOG.info("group {} (job {}) is gone before it could be placed", d.pgid(), d.jobId());
            return null;
        }
        if (a.refusal().isPresent()) {
            if (a.pinnedBefore() != null) {
                pinning.unpin(d.pgid(), a.original());
            }
            originals.forget(d.pgid());
            leaveAlone(state, d, a.shownName(), a.refusal().get());
            return null;
        }
        originals.remember(d.pgid(), a.original(), a.pinnedBefore());
        String name = a.profile().map(Profile::name).orElse(a.shownName());
        if (a.profile().isEmpty()) {
            LOG.info("group {} (job {}) has no profile: profiling requested, placed with neutral scores", d.pgid(),
                    d.jobId());
        }
        int workers = Math.max(1, d.workers());
        if (workers > topology.hardwareThreads()) {
            // More could never be placed, and would only slow every plan down.
            LOG.warn("group {} ({}) reports {} workers; counted as the topology's {} hardware threads", d.pgid(), name,
                    workers, topology.hardwareThreads());
            workers = topology.hardwareThreads();
        }
        ManagedGroup g = new ManagedGroup(d.pgid(), d.jobId(), workers, d.workers(), name, a.profile().orElse(null),
                a.original(), a.current(), a.command());
        g.profileName = d.profileName();
        g.pin(new Pin(null, a.pinnedBefore()));
        g.expected = a.current();
        state.groups.put(g.pgid, g);
        return g;
    }

    /** A command line cut to {@link #COMMAND_LENGTH} characters, so that status stays small. */
    private static String shortened(String command) {
        if (command == null || command.length() <= COMMAND_LENGTH) {
            return command;
        }
        return command.substring(0, COMMAND_LENGTH - 3) + "...";
    }

    /**
     * Why a Slurm job's group must be left alone: the planner places a workload anywhere in the
     * topology, so a job may be managed only when its allocation on this node holds every CPU of
     * the topology; pins then lie within the allocation by construction. The allocation is what
     * both its cgroup's cpuset (task/cgroup) and its affinity as Slurm bound it (task/affinity)
     * allow, and no more CPUs than SLURM_CPUS_ON_NODE says (where no task plugin binds it).
     */
    private Optional<String> outsideAllocation(SlurmJob job, ProcessIdentity leader, List<Integer> original) {
        List<Integer> allocated = new ArrayList<>(original);
        leader.cpuset().ifPresent(allocated::retainAll);
        List<Integer> all = topology.allCpus();
        if (!new HashSet<>(allocated).containsAll(all)) {
            return Optional.of(job.label() + " is allocated CPUs " + AffinityPolicy.cpuList(allocated)
                    + ", not all of the topology's " + AffinityPolicy.cpuList(all)
                    + ": a job is placed only on a node it has whole");
        }
        if (job.cpusOnNode().isPresent() && job.cpusOnNode().getAsInt() < all.size()) {
            return Optional.of(job.label() + " is allocated " + job.cpusOnNode().getAsInt()
                    + " CPUs on this node (SLURM_CPUS_ON_NODE), fewer than the topology's " + all.size()
                    + ": a job is placed only on a node it has whole");
        }
        return Optional.empty();
    }

    /** Remembers a group as not the daemon's to manage, until it is gone or its pgid names another group. */
    void leaveAlone(DaemonState state, Monitor.Detected report, String name, String reason) {
        int pgid = report.pgid();
        LOG.warn("leaving group {} ({}) alone: {}", pgid, name, reason);
        state.leftAlone.put(pgid, new DaemonState.LeftAlone(pgid, processes.startTicks(pgid).orElse(-1), name, reason,
                report.jobId(), report.workers()));
    }

    /** Whether the group still has processes; true when /proc cannot say (a record is checked again before use). */
    boolean stillAlive(int pgid) {
        try {
            return processes.groupAlive(pgid);
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * What a process may use where no cpuset says: the online CPUs the daemon itself may use (in a
     * container whose cpuset is not visible, the daemon's affinity is the container's).
     */
    List<Integer> usableWithoutCpuset() {
        List<Integer> usable;
        try {
            usable = new ArrayList<>(ProcessIdentity.onlineCpus());
        } catch (IOException | IllegalArgumentException e) {
            usable = new ArrayList<>(topology.allCpus());
        }
        Pinning.affinityOf((int) ProcessHandle.current().pid()).ifPresent(usable::retainAll);
        return usable;
    }
}
