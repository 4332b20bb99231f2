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
            List<Integer> original, List<Integer> pinnedBefore, List<Integer> allocation, Optional<String> refusal,
            Optional<Profile> profile, String command) {
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
            return new Arrival(d, start, null, null, null, null, null, Optional.empty(), Optional.empty(), null);
        }
        // A group pinned by an earlier daemon that died keeps the original it recorded then; it is
        // that daemon's pin only while the group is still where it was pinned.
        Optional<OriginalAffinity.Entry> record = originals.recall(d.pgid());
        List<Integer> pinnedBefore = record.map(OriginalAffinity.Entry::pinned).filter(current::equals).orElse(null);
        List<Integer> original = pinnedBefore != null ? record.get().cpus() : current;
        Allocation allocation = processes.slurmJob(leader.get().pid())
                .map(job -> allocation(job, leader.get(), original)).orElse(Allocation.WHOLE);
        Optional<String> refusal = allocation.refusal().isPresent() ? allocation.refusal()
                : allocation.cpus() != null ? policy.ruleRefusal(leader.get()) // Slurm chose its CPUs
                : policy.refusal(leader.get(), original, usableWithoutCpuset(), topology.allCpus());
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
        return new Arrival(d, start, leader.get(), current, original, pinnedBefore, allocation.cpus(), refusal,
                profile, shortened(processes.cmdline(d.pgid())));
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
        Optional<String> refusal = a.refusal().isPresent() ? a.refusal() : sharedAllocation(d, a.allocation(), state);
        if (refusal.isPresent()) {
            if (a.pinnedBefore() != null) {
                pinning.unpin(d.pgid(), a.original());
            }
            originals.forget(d.pgid());
            leaveAlone(state, d, a.shownName(), refusal.get());
            return null;
        }
        originals.remember(d.pgid(), a.original(), a.pinnedBefore());
        String name = a.profile().map(Profile::name).orElse(a.shownName());
        if (a.profile().isEmpty()) {
            LOG.info("group {} (job {}) has no profile: profiling requested, placed with neutral scores", d.pgid(),
                    d.jobId());
        }
        int workers = Math.max(1, d.workers());
        int room = a.allocation() != null ? a.allocation().size() : topology.hardwareThreads();
        if (workers > room) {
            // More could never be placed, and would only slow every plan down.
            LOG.warn("group {} ({}) reports {} workers; counted as the {} hardware threads of {}", d.pgid(), name,
                    workers, room, a.allocation() != null ? "its allocation" : "the topology");
            workers = room;
        }
        if (a.allocation() != null) {
            LOG.info("group {} ({}) is placed only on its Slurm allocation's CPUs {}", d.pgid(), name,
                    AffinityPolicy.cpuList(a.allocation()));
        }
        ManagedGroup g = new ManagedGroup(d.pgid(), d.jobId(), workers, d.workers(), name, a.profile().orElse(null),
                a.original(), a.current(), a.allocation(), a.command());
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
     * Where a Slurm job's group may be placed: {@code cpus} the CPUs of the topology its allocation
     * on this node holds (null when it holds them all: a whole-node job, placed anywhere), or why it
     * must be left alone.
     */
    record Allocation(List<Integer> cpus, Optional<String> refusal) {
        static final Allocation WHOLE = new Allocation(null, Optional.empty());

        static Allocation refused(String reason) {
            return new Allocation(null, Optional.of(reason));
        }
    }

    /**
     * A Slurm job's allocation on this node: what both its cgroup's cpuset (task/cgroup) and its
     * affinity as Slurm bound it (task/affinity) allow. Where those allow more CPUs than
     * SLURM_CPUS_ON_NODE says the job has (no task plugin binds it), which of them are its own is
     * unknown and the job is left alone; so is a step of several tasks that Slurm bound each to CPUs
     * of its own (the leader shows only its own task's).
     */
    private Allocation allocation(SlurmJob job, ProcessIdentity leader, List<Integer> original) {
        List<Integer> allocated = new ArrayList<>(original);
        leader.cpuset().ifPresent(allocated::retainAll);
        List<Integer> all = topology.allCpus();
        if (job.cpusOnNode().isPresent() && job.cpusOnNode().getAsInt() < allocated.size()) {
            return Allocation.refused(job.label() + " is allocated " + job.cpusOnNode().getAsInt()
                    + " CPUs on this node (SLURM_CPUS_ON_NODE), but its cpuset and affinity allow "
                    + allocated.size() + " (" + AffinityPolicy.cpuList(allocated)
                    + "): which are its own is unknown (no task plugin binds it)");
        }
        if (new HashSet<>(allocated).containsAll(all)) {
            return Allocation.WHOLE;
        }
        List<Integer> inTopology = all.stream().filter(allocated::contains).sorted().toList();
        if (inTopology.isEmpty()) {
            return Allocation.refused(job.label() + " is allocated CPUs " + AffinityPolicy.cpuList(allocated)
                    + ", none of the topology's " + AffinityPolicy.cpuList(all));
        }
        List<Integer> cpuset = leader.cpuset().orElse(null);
        if (job.stepTasks().orElse(1) > 1 && (cpuset == null || !new HashSet<>(original).containsAll(cpuset))) {
            return Allocation.refused(job.label() + " runs a step of " + job.stepTasks().getAsInt()
                    + " tasks that Slurm bound to CPUs each: its leader shows only its own task's, CPUs "
                    + AffinityPolicy.cpuList(original));
        }
        return new Allocation(inTopology, Optional.empty());
    }

    /**
     * Why a group whose allocation shares CPUs with another managed group's must be left alone:
     * each allocation is planned apart, on CPUs of its own. Groups of one job with the same
     * allocation (the steps of a job) share it.
     */
    private static Optional<String> sharedAllocation(Monitor.Detected d, List<Integer> allocation, DaemonState state) {
        for (ManagedGroup g : state.groups.values()) {
            List<Integer> theirs = g.allowedCpus;
            if (allocation == null || theirs == null || g.jobId == d.jobId() && theirs.equals(allocation)) {
                continue;
            }
            List<Integer> shared = allocation.stream().filter(theirs::contains).toList();
            if (!shared.isEmpty()) {
                return Optional.of("its allocation, CPUs " + AffinityPolicy.cpuList(allocation) + ", shares CPUs "
                        + AffinityPolicy.cpuList(shared) + " with that of group " + g.pgid + " (" + g.name
                        + ", CPUs " + AffinityPolicy.cpuList(theirs) + "), managed already");
            }
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
