// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.ScoreTable;
import io.smtcheck.sched.PairingInput;
import io.smtcheck.sched.Placement;
import io.smtcheck.sched.PlanMode;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.Topology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plans the managed groups and carries the plan out, under the daemon's lock: one native call
 * decides where every group goes (one for each Slurm allocation with part of the node, and one
 * for the cores in none), {@link Pinning} pins those whose place changed, and groups found
 * empty, given up or changed by someone else are let go and the rest planned again. It also takes
 * the groups it lets go out of the score table. Plans go on while in-situ profiles borrow cores:
 * they leave those cores and the profiled groups out.
 */
final class Replanning {
    private static final Logger LOG = LoggerFactory.getLogger(Replanning.class);

    private final DaemonOptions options;
    private final DaemonState state;
    private final ScoreTable table;
    private final Replanner replanner;
    private final Pinning pinning;
    private final OriginalAffinity originals;
    private final Admission admission;

    Replanning(DaemonOptions options, DaemonState state, ScoreTable table, Replanner replanner, Pinning pinning,
            OriginalAffinity originals, Admission admission) {
        this.options = options;
        this.state = state;
        this.table = table;
        this.replanner = replanner;
        this.pinning = pinning;
        this.originals = originals;
        this.admission = admission;
    }

    /** Groups whose allocation lies on lent cores alone, as last logged: logged again only once placed. */
    private final Set<Integer> nowhere = new HashSet<>();

    /**
     * Re-plans and applies what changed. While in-situ profiles run, the profiled groups are out
     * of the plan (their pins are the profiles') and the rest are planned on the topology less the
     * lent cores and the CPUs the profiled groups still hold: what is planned then never shares a
     * CPU with a profile, and the plan's scores are those of the groups it places.
     */
    void replan(String why) {
        Set<Integer> taken = takenByProfiles();
        Topology open = taken.isEmpty() ? replanner.topology() : replanner.topology().without(taken);
        Set<Integer> outOfPlan = new HashSet<>(state.lent.keySet());
        Map<String, Set<Integer>> allowed = allocations(open, outOfPlan);
        List<String> planned = new ArrayList<>();
        for (ManagedGroup g : state.groups.values()) {
            if (!outOfPlan.contains(g.pgid)) {
                planned.add(g.key());
            }
        }
        PairingInput input = PairingInput.of(table);
        if (planned.size() < input.size()) {
            input = input.subset(planned);
        }
        Replanner.Decision d;
        try {
            d = decide(input, open, allowed);
        } catch (RuntimeException e) {
            state.error(DaemonState.ErrorKind.PLANNING);
            LOG.error("planning failed ({}): {}", why, e.getMessage());
            return;
        }
        state.plans++;
        double unpinned = Replanner.unpinnedScore(input, open, allowed);
        state.lastPlan = new DaemonStatus.Plan(Instant.now().toString(), why, d.score(), d.keptScore(),
                d.optimalScore(), unpinned, gain(d.score(), d.keptScore()), gain(d.score(), unpinned), d.moved());
        Map<String, List<Integer>> target = d.placement().cpusByWorkload();
        LOG.info("plan after {}: score {} (optimum {}, keeping {}){}{}", why, fmt(d.score()), fmt(d.optimalScore()),
                fmt(d.keptScore()), d.moved() == 0 ? "" : ", moving " + d.moved() + (d.moved() == 1 ? " group" : " groups"),
                taken.isEmpty() ? "" : ", without CPUs " + AffinityPolicy.cpuList(List.copyOf(new TreeSet<>(taken)))
                        + " (in-situ profiles)");
        List<ManagedGroup> due = new ArrayList<>();
        long now = System.nanoTime();
        for (ManagedGroup g : state.groups.values()) {
            if (outOfPlan.contains(g.pgid)) {
                continue; // profiled, or left no CPU it may use: its pin stays as it is
            }
            List<Integer> cpus = target.get(g.key());
            if (!Objects.equals(cpus, g.pin.wanted())) {
                if (g.pin.wanted() != null && cpus != null) {
                    state.moves++;
                }
                g.pin = g.pin.wanting(cpus);
                g.pinFailures = 0;
                g.nextPinAt = now;
            }
            if (g.pinDue(now)) {
                due.add(g);
            }
        }
        applyAll(due);
    }

    /**
     * The CPUs no plan may use while in-situ profiles run: every CPU of a core they borrow (the
     * injectors' contention reaches the whole core), and those the profiled groups still hold
     * (before a group is moved onto its borrowed CPU, it runs where it was).
     */
    private Set<Integer> takenByProfiles() {
        Set<Integer> taken = new HashSet<>();
        Topology topology = replanner.topology();
        state.lent.forEach((pgid, cpus) -> {
            for (int cpu : cpus) {
                int core = topology.coreOf(cpu);
                taken.addAll(core >= 0 ? topology.cpus(core) : List.of(cpu));
            }
            ManagedGroup g = state.groups.get(pgid);
            if (g != null && g.pin.applied() != null) {
                taken.addAll(g.pin.applied());
            }
        });
        return taken;
    }

    private Replanner.Decision decide(PairingInput input, Topology open, Map<String, Set<Integer>> allowed) {
        if (open == replanner.topology()) {
            return replanner.decide(input, state.placement(), allowed);
        }
        if (input.size() == 0 || open.coreCount() == 0) {
            return new Replanner.Decision(Placement.empty(open), 0, 0, 0, 0, PlanMode.AUTO);
        }
        // Where the planned groups run now, on what is left of the topology (a pin on a lent CPU counts as none).
        Placement current = Placement.ofCpus(state.placement().retain(new HashSet<>(input.ids())).cpusByWorkload(),
                open);
        return new Replanner(open, replanner.minGain()).decide(input, current, allowed);
    }

    /**
     * The CPUs of {@code open} that each planned group with part of the topology (a Slurm job's)
     * may use, by its key: its allocation less what profiles hold. A group left with none joins
     * {@code outOfPlan}: it is pinned nowhere new until a profile gives its CPUs back.
     */
    private Map<String, Set<Integer>> allocations(Topology open, Set<Integer> outOfPlan) {
        Map<String, Set<Integer>> allowed = new HashMap<>();
        Set<Integer> usable = new HashSet<>(open.allCpus());
        for (ManagedGroup g : state.groups.values()) {
            if (g.allowedCpus == null || outOfPlan.contains(g.pgid)) {
                continue;
            }
            Set<Integer> cpus = new TreeSet<>(g.allowedCpus);
            cpus.retainAll(usable);
            if (!cpus.isEmpty()) {
                allowed.put(g.key(), cpus);
                nowhere.remove(g.pgid);
                continue;
            }
            outOfPlan.add(g.pgid);
            if (nowhere.add(g.pgid)) {
                LOG.warn("group {} ({}) may use only CPUs {} (its Slurm allocation), all lent to in-situ profiles or"
                        + " held by the groups they profile: not pinned anywhere new until they end", g.pgid, g.name,
                        AffinityPolicy.cpuList(g.allowedCpus));
            }
        }
        nowhere.retainAll(state.groups.keySet());
        return allowed;
    }

    /**
     * Counts adopted groups (a restarted daemon's) as placed where they run: a group pinned to as
     * many CPUs of the topology as it has workers, so the plan keeps it unless the optimum beats
     * that by the minimum gain. Returns how many were.
     */
    int placeWhereTheyRun(List<ManagedGroup> adopted) {
        Map<String, List<Integer>> running = new LinkedHashMap<>();
        for (ManagedGroup g : adopted) {
            if (g.cpusAtArrival.size() == g.workers) {
                running.put(g.key(), g.cpusAtArrival);
            }
        }
        Map<String, List<Integer>> placed = Placement.ofCpus(running, replanner.topology()).cpusByWorkload();
        for (ManagedGroup g : adopted) {
            List<Integer> cpus = placed.get(g.key());
            if (cpus != null) {
                g.pin(new Pin(cpus, cpus));
            }
        }
        return placed.size();
    }

    /** Tries again the pins that failed, once their wait is over; false when none was due. */
    boolean retryPins() {
        long now = System.nanoTime();
        List<ManagedGroup> due = state.groups.values().stream()
                .filter(g -> g.pinDue(now) && !state.lent.containsKey(g.pgid) && !nowhere.contains(g.pgid)).toList();
        if (!due.isEmpty()) {
            applyAll(due);
        }
        return !due.isEmpty();
    }

    /**
     * Notices groups whose affinity someone else changed since the daemon last set it. By default
     * they are let go, their new affinity kept; with {@link AffinityPolicy.Narrowed#MANAGE} the
     * daemon's pin is put back.
     */
    void checkPins(AffinityPolicy policy) {
        if (options.dryRun()) {
            return;
        }
        List<ManagedGroup> changed = new ArrayList<>();
        for (ManagedGroup g : state.groups.values()) {
            if (g.expected == null) {
                continue;
            }
            Optional<List<Integer>> now = Pinning.groupAffinity(g.pgid);
            if (now.isEmpty() || now.get().equals(g.expected)) {
                continue; // gone (the monitor reports it) or as the daemon left it
            }
            state.changedByOthers++;
            String reason = "its affinity was changed to " + AffinityPolicy.cpuList(now.get())
                    + " by someone else (the daemon had left it on " + AffinityPolicy.cpuList(g.expected) + ")";
            if (policy.narrowed() == AffinityPolicy.Narrowed.MANAGE) {
                LOG.warn("group {} ({}): {}: putting the daemon's pin back", g.pgid, g.name, reason);
                g.pin(g.pin.appliedAt(now.get())); // not where the plan wants it: pinned again below
                g.expected = null;
                g.nextPinAt = System.nanoTime();
            } else {
                g.pinError = reason;
                changed.add(g);
            }
        }
        for (ManagedGroup g : changed) {
            g.pin(g.pin.appliedAt(null)); // the other party's affinity stays: nothing of the daemon's to restore
            drop(g, g.pinError);
        }
        if (!changed.isEmpty()) {
            replan(changed.size() == 1 ? "a group changed by someone else" : changed.size() + " groups changed by others");
        }
    }

    /**
     * Lets a group go (without planning); false when it was not managed. {@code alive}: whether
     * its group still has processes, as /proc said (true when it could not say).
     */
    boolean exited(int pgid, boolean alive) {
        ManagedGroup g = state.groups.remove(pgid);
        if (g == null) {
            return false;
        }
        table.remove(g.key());
        if (!alive) {
            originals.forget(pgid);
        } // else the monitor let go of a live group: the record lets a later report or a restore find the pin
        LOG.info("group {} ({}) left", pgid, g.name);
        return true;
    }

    /** Pins each of {@code due} where its plan says; then lets go of those found empty or given up, and re-plans. */
    private void applyAll(List<ManagedGroup> due) {
        List<Integer> gone = new ArrayList<>();
        List<ManagedGroup> givenUp = new ArrayList<>();
        for (ManagedGroup g : due) {
            switch (pinning.pin(g)) {
                case GONE -> gone.add(g.pgid);
                case GIVEN_UP -> givenUp.add(g);
                default -> {
                }
            }
        }
        gone.forEach(pgid -> exited(pgid, admission.stillAlive(pgid)));
        for (ManagedGroup g : givenUp) {
            drop(g, g.pinError);
        }
        if (!gone.isEmpty() || !givenUp.isEmpty()) {
            replan(gone.size() + givenUp.size() + " groups found empty or given up");
        }
    }

    /**
     * Stops managing a group for good (a pgid reused by a new group is a new group): its own pins,
     * if it still has any, are undone, and it is remembered as left alone.
     */
    private void drop(ManagedGroup g, String reason) {
        if (g.pin.applied() != null || g.pinError != null && g.expected == null) {
            pinning.unpin(g.pgid, g.originalCpus);
        }
        state.groups.remove(g.pgid);
        table.remove(g.key());
        originals.forget(g.pgid);
        admission.leaveAlone(state, new Monitor.Detected(g.pgid, g.jobId, g.reportedWorkers, 0, g.name), g.name,
                reason);
    }

    /** How much more {@code score} is than {@code base}, as a fraction; 0 when there is no base to compare with. */
    private static double gain(double score, double base) {
        return base > 0 ? score / base - 1 : 0;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
