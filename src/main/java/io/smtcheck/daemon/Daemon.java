// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.control.ControlServer;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.procfs.ProcessIdentity;
import io.smtcheck.procfs.ProcessTable;
import io.smtcheck.profiles.StoreHealth;
import io.smtcheck.sched.GroupAffinity;
import io.smtcheck.sched.NativeCallException;
import io.smtcheck.sched.PairingInput;
import io.smtcheck.sched.Placement;
import io.smtcheck.sched.Replanner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's loop (DESIGN.md §2): a group reported by the monitor gets its profile (or a
 * profiling request and neutral scores), joins the score table, the workloads are re-planned,
 * their affinity applied, and the monitor acknowledged. Exits leave the table and re-plan, moving
 * nobody for a negligible gain. Counters are read every interval and the model directory is
 * watched. The control socket's status and reset run here too, under the same lock.
 *
 * <p>Affinity the daemon does not own is left alone: groups its policy excludes, groups whose
 * affinity someone else narrowed or whose cgroup's cpuset does not cover the topology, and groups
 * whose pin someone else changed under it (checked every interval). A pin that fails is tried
 * again a few times, waiting longer each time, then given up; status shows the CPUs wanted and
 * those really applied.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MODEL_CHECK_NS = 5_000_000_000L;
    private static final int LATENCY_SAMPLES = 4096;
    /** Tries of one pin before the group is given up and left alone. */
    static final int MAX_PIN_ATTEMPTS = 5;
    private static final long MAX_PIN_BACKOFF_NS = 300_000_000_000L;

    /** A group the daemon does not manage, and why; a reused pgid (other leader start) is a new group. */
    private record LeftAlone(int pgid, long leaderStartTicks, String name, String reason) {
    }

    private final DaemonOptions options;
    private final Monitor monitor;
    private final ProfileSource profiles;
    private final ModelLoader models;
    private final Replanner replanner;
    private final ScoreTable table;
    private final OriginalAffinity originals;
    private final ProcessTable processes = new ProcessTable();
    private final AffinityPolicy policy;
    private final Map<Integer, Workload> workloads = new LinkedHashMap<>();
    private final Map<Integer, LeftAlone> leftAlone = new LinkedHashMap<>();
    private final long startedAt = System.nanoTime();
    private final long[] latencies = new long[LATENCY_SAMPLES];
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Placement placement;
    private long latencyCount;
    private long events;
    private long plans;
    private long pins;
    private long moves;
    private long errors;
    private long changedByOthers;
    private long lastCountersRead;
    private long lastModelCheck;
    private volatile boolean running = true;
    private volatile com.fasterxml.jackson.databind.JsonNode configuration;
    private final java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();

    public Daemon(DaemonOptions options, Monitor monitor, ProfileSource profiles, ModelLoader models,
            Replanner replanner) {
        this.options = options;
        this.monitor = monitor;
        this.profiles = profiles;
        this.models = models;
        this.replanner = replanner;
        this.table = new ScoreTable(models.current().orElseThrow(
                () -> new IllegalStateException("no valid prediction model in " + models.directory())).model());
        this.placement = Placement.empty(replanner.topology());
        this.originals = new OriginalAffinity(options.stateDir().resolve("originals"), processes);
        this.policy = options.affinityPolicy();
    }

    /** The commands of the control socket. */
    public Map<String, ControlServer.Command> controlCommands() {
        return Map.of(
                "status", ControlServer.Command.reading((request, peer) -> status()),
                "launch", GroupRegistration.command(monitor),
                "reset", ControlServer.Command.changing((request, peer) ->
                        reset(request.path("counters").asBoolean(false), request.path("affinity").asBoolean(false))));
    }

    /** Runs until {@link #stop()}; then restores affinity if so configured. Runs once. */
    public void run() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("the daemon loop runs once");
        }
        LOG.info("monitor: {}", monitor.describe());
        LOG.info("profiles: {}", profiles.describe());
        LOG.info("model: {}", models.current().map(l -> l.file().toString()).orElse("none"));
        LOG.info("topology: {} cores ({}), re-plan gain threshold {} %{}", replanner.topology().coreCount(),
                replanner.topology(), replanner.minGain() * 100, options.dryRun() ? ", DRY RUN: nothing is pinned" : "");
        LOG.info("affinity policy: {}", policy);
        synchronized (this) {
            int n = restoreRecorded(true);
            if (n > 0) {
                LOG.info("restored the original affinity of {} groups an earlier daemon left pinned without their"
                        + " leader", n);
            }
        }
        if (monitor instanceof KernelMonitor k) {
            adopt(k.adoptable());
        }
        try {
            while (running) {
                List<Monitor.Event> batch;
                try {
                    batch = monitor.poll();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (Exception e) {
                    synchronized (this) {
                        errors++;
                    }
                    LOG.warn("monitor: {}", e.getMessage());
                    sleep(500);
                    continue;
                }
                long receivedAt = System.nanoTime();
                synchronized (this) {
                    handleBatch(batch, receivedAt);
                    periodic();
                }
            }
        } finally {
            synchronized (this) {
                if (options.restoreOnExit()) {
                    int n = restoreAll();
                    workloads.values().stream().filter(w -> w.applied == null).forEach(w -> originals.forget(w.pgid));
                    LOG.info("stopping: restored the original affinity of {} groups", n);
                }
            }
            stopped.countDown();
        }
    }

    /** Asks the loop to end; returns once it has (and has restored affinity), or at once if it never ran. */
    public void stop() {
        running = false;
        if (!started.get()) {
            return;
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Takes in the groups the kernel already tracks (a restarted daemon's), where they run now: a
     * group pinned to as many CPUs of the topology as it has workers counts as placed there, so
     * the plan keeps it unless the optimum beats that by the minimum gain.
     */
    private void adopt(List<Monitor.Event> found) {
        synchronized (this) {
            List<Workload> adopted = new ArrayList<>();
            for (Monitor.Event e : found) {
                events++;
                if (e instanceof Monitor.Detected d) {
                    Workload w = detected(d);
                    if (w != null) {
                        adopted.add(w);
                    }
                } else if (e instanceof Monitor.SlotAssigned a) {
                    slotAssigned(a);
                }
            }
            if (adopted.isEmpty()) {
                return;
            }
            Map<String, List<Integer>> running = new LinkedHashMap<>();
            for (Workload w : adopted) {
                if (w.cpusAtArrival.size() == w.workers) {
                    running.put(w.key(), w.cpusAtArrival);
                }
            }
            placement = Placement.ofCpus(running, replanner.topology());
            placement.cpusByWorkload().forEach((key, cpus) -> adopted.stream()
                    .filter(w -> w.key().equals(key)).forEach(w -> {
                        w.cpus = cpus;
                        w.applied = cpus;
                    }));
            LOG.info("adopting {} groups the kernel already tracks ({} already pinned where they run)",
                    adopted.size(), placement.cpusByWorkload().size());
            replan(adopted.size() + " groups adopted");
            for (Workload w : adopted) {
                if (workloads.containsKey(w.pgid)) {
                    monitor.acknowledge(w.pgid, w.jobId);
                }
            }
        }
    }

    /**
     * Takes in every event of one poll, plans once for all of them, then acknowledges the new
     * groups: a burst of arrivals costs one plan, not one each.
     */
    private void handleBatch(List<Monitor.Event> batch, long receivedAt) {
        List<Workload> arrived = new ArrayList<>();
        int left = 0;
        for (Monitor.Event e : batch) {
            events++;
            if (e instanceof Monitor.Detected d) {
                Workload w = detected(d);
                if (w != null) {
                    arrived.add(w);
                }
            } else if (e instanceof Monitor.Exited x) {
                leftAlone.remove(x.pgid());
                left += exited(x.pgid()) ? 1 : 0;
            } else if (e instanceof Monitor.SlotAssigned a) {
                slotAssigned(a);
            }
        }
        arrived.removeIf(w -> !workloads.containsKey(w.pgid)); // arrived and left in the same batch
        if (arrived.isEmpty() && left == 0) {
            return;
        }
        replan(describe(arrived, left));
        for (Workload w : arrived) {
            if (workloads.containsKey(w.pgid)) {
                monitor.acknowledge(w.pgid, w.jobId);
                latencies[(int) (latencyCount++ % LATENCY_SAMPLES)] = System.nanoTime() - receivedAt;
            }
        }
    }

    private static String describe(List<Workload> arrived, int left) {
        List<String> parts = new ArrayList<>();
        if (arrived.size() == 1) {
            parts.add("group " + arrived.get(0).pgid + " (" + arrived.get(0).name + ") arrived");
        } else if (!arrived.isEmpty()) {
            parts.add(arrived.size() + " groups arrived");
        }
        if (left > 0) {
            parts.add(left == 1 ? "a group left" : left + " groups left");
        }
        return String.join(", ", parts);
    }

    private void slotAssigned(Monitor.SlotAssigned s) {
        Workload w = workloads.get(s.pgid());
        if (s.slot() < 0) {
            errors++;
            LOG.warn("group {} got no IPC slot: error {}", s.pgid(), -s.slot());
        } else if (w != null) {
            w.slot = s.slot();
        }
    }

    /** Takes a reported group in (without planning); null when it is known already or gone. */
    private Workload detected(Monitor.Detected d) {
        if (workloads.containsKey(d.pgid())) {
            monitor.acknowledge(d.pgid(), d.jobId()); // a repeated report: the kernel wants its answer
            return null;
        }
        LeftAlone known = leftAlone.get(d.pgid());
        if (known != null && known.leaderStartTicks() == leaderStart(d.pgid())) {
            return null; // reported again: still not the daemon's to pin
        }
        leftAlone.remove(d.pgid());
        Optional<ProcessIdentity> leader = ProcessIdentity.ofGroup(d.pgid());
        List<Integer> current = leader.flatMap(p -> affinityOf(p.pid())).orElse(null);
        if (current == null) {
            LOG.info("group {} (job {}) is gone before it could be placed", d.pgid(), d.jobId());
            return null;
        }
        // A group pinned by an earlier daemon that died keeps the original it recorded then; it is
        // that daemon's pin only while the group is still where it was pinned.
        Optional<OriginalAffinity.Entry> record = originals.recall(d.pgid());
        List<Integer> pinnedBefore = record.map(OriginalAffinity.Entry::pinned).filter(current::equals).orElse(null);
        List<Integer> original = pinnedBefore != null ? record.get().cpus() : current;
        String shownName = d.name().isEmpty() ? "job " + d.jobId() : d.name();
        Optional<String> refusal = policy.refusal(leader.get(), original, usableWithoutCpuset(),
                replanner.topology().allCpus());
        if (refusal.isPresent()) {
            if (pinnedBefore != null) {
                unpin(d.pgid(), original);
            }
            originals.forget(d.pgid());
            leaveAlone(d.pgid(), shownName, refusal.get());
            return null;
        }
        originals.remember(d.pgid(), original, pinnedBefore);
        Optional<Profile> profile = profiles.byJob(d.jobId());
        String name = profile.map(Profile::name).orElse(shownName);
        if (profile.isEmpty()) {
            profiles.requestProfile(d.jobId(), name);
            LOG.info("group {} (job {}) has no profile: profiling requested, placed with neutral scores", d.pgid(),
                    d.jobId());
        }
        int workers = Math.max(1, d.workers());
        if (workers > replanner.topology().hardwareThreads()) {
            // More could never be placed, and would only slow every plan down.
            LOG.warn("group {} ({}) reports {} workers; counted as the topology's {} hardware threads", d.pgid(), name,
                    workers, replanner.topology().hardwareThreads());
            workers = replanner.topology().hardwareThreads();
        }
        Workload w = new Workload(d.pgid(), d.jobId(), workers, name, profile.orElse(null), original, current);
        w.applied = pinnedBefore;
        w.expected = current;
        workloads.put(w.pgid, w);
        table.put(w.key(), w.profile, w.workers);
        return w;
    }

    /** Lets a group go (without planning); false when it was not managed. */
    private boolean exited(int pgid) {
        Workload w = workloads.remove(pgid);
        if (w == null) {
            return false;
        }
        table.remove(w.key());
        if (!stillAlive(pgid)) {
            originals.forget(pgid);
        } // else the monitor let go of a live group: the record lets a later report or a restore find the pin
        LOG.info("group {} ({}) left", pgid, w.name);
        return true;
    }

    /** Re-plans and applies what changed. */
    private void replan(String why) {
        PairingInput input = table.toPairingInput();
        Replanner.Decision d;
        try {
            d = replanner.decide(input, placement);
        } catch (RuntimeException e) {
            errors++;
            LOG.error("planning failed ({}): {}", why, e.getMessage());
            return;
        }
        plans++;
        Map<String, List<Integer>> target = d.placement().cpusByWorkload();
        LOG.info("plan after {}: score {} (optimum {}, keeping {}){}", why, fmt(d.score()), fmt(d.optimalScore()),
                fmt(d.keptScore()), d.moved() == 0 ? "" : ", moving " + d.moved() + (d.moved() == 1 ? " group" : " groups"));
        List<Workload> due = new ArrayList<>();
        long now = System.nanoTime();
        for (Workload w : workloads.values()) {
            List<Integer> cpus = target.get(w.key());
            if (!Objects.equals(cpus, w.cpus)) {
                if (w.cpus != null && cpus != null) {
                    moves++;
                }
                w.cpus = cpus;
                w.pinFailures = 0;
                w.nextPinAt = now;
            }
            if (!Objects.equals(w.cpus, w.applied) && now - w.nextPinAt >= 0) {
                due.add(w);
            }
        }
        placement = d.placement();
        applyAll(due);
    }

    /** Pins each of {@code due} where its plan says; then lets go of those found empty or given up, and re-plans. */
    private void applyAll(List<Workload> due) {
        List<Integer> gone = new ArrayList<>();
        List<Workload> givenUp = new ArrayList<>();
        for (Workload w : due) {
            switch (pin(w)) {
                case GONE -> gone.add(w.pgid);
                case GIVEN_UP -> givenUp.add(w);
                default -> {
                }
            }
        }
        gone.forEach(this::exited);
        for (Workload w : givenUp) {
            drop(w, w.pinError);
        }
        if (!gone.isEmpty() || !givenUp.isEmpty()) {
            replan(gone.size() + givenUp.size() + " groups found empty or given up");
        }
    }

    private enum PinOutcome { APPLIED, FAILED, GONE, GIVEN_UP }

    /**
     * Pins a group where its plan says (back to its original CPUs when the plan has no place for
     * it). A failure is recorded on the workload and tried again later, up to
     * {@value #MAX_PIN_ATTEMPTS} times; a target outside the group's cpuset is never tried.
     */
    private PinOutcome pin(Workload w) {
        boolean restoring = w.cpus == null;
        List<Integer> cpus = restoring ? w.originalCpus : w.cpus;
        String what = restoring ? "no hardware thread left for it: original affinity" : "CPUs";
        if (options.dryRun()) {
            LOG.info("dry run: would pin group {} ({}) to {} {}", w.pgid, w.name, what, cpus);
            w.applied = w.cpus;
            return PinOutcome.APPLIED;
        }
        Optional<List<Integer>> cpuset = ProcessIdentity.ofGroup(w.pgid)
                .flatMap(ProcessIdentity::cpuset);
        if (!restoring && cpuset.isPresent() && !new java.util.HashSet<>(cpuset.get()).containsAll(cpus)) {
            w.pinError = "CPUs " + AffinityPolicy.cpuList(cpus) + " are outside its cgroup's cpuset "
                    + AffinityPolicy.cpuList(cpuset.get());
            return PinOutcome.GIVEN_UP;
        }
        // Recorded before the pin: a daemon killed right after it still leaves a record its
        // successor recognises as its own pin.
        Optional<OriginalAffinity.Entry> record = originals.recall(w.pgid);
        record.ifPresent(e -> originals.pinned(e, w.cpus));
        try {
            GroupAffinity.Result r = GroupAffinity.pin(w.pgid, cpus);
            if (r.tasks() == 0) {
                LOG.info("group {} ({}) has no tasks left", w.pgid, w.name);
                return PinOutcome.GONE;
            }
            pins++;
            LOG.info("pinned group {} ({}): {} tasks in {} processes to {} {}", w.pgid, w.name, r.tasks(),
                    r.processes(), what, cpus);
            w.applied = w.cpus;
            w.pinError = null;
            w.pinFailures = 0;
            w.expected = groupAffinity(w.pgid).orElse(cpus);
            return PinOutcome.APPLIED;
        } catch (NativeCallException | IllegalArgumentException e) {
            errors++;
            record.ifPresent(r -> originals.pinned(r, w.applied));
            w.pinFailures++;
            w.pinError = e.getMessage();
            w.expected = null; // some of its tasks may have been pinned before the failure
            if (w.pinFailures >= MAX_PIN_ATTEMPTS) {
                LOG.warn("cannot pin group {} ({}) to {} {}: {}; giving up after {} tries", w.pgid, w.name, what, cpus,
                        e.getMessage(), w.pinFailures);
                return PinOutcome.GIVEN_UP;
            }
            long backoff = Math.min(MAX_PIN_BACKOFF_NS, options.interval().toNanos() << (w.pinFailures - 1));
            w.nextPinAt = System.nanoTime() + backoff;
            LOG.warn("cannot pin group {} ({}) to {} {}: {}; trying again in {} s", w.pgid, w.name, what, cpus,
                    e.getMessage(), fmt(backoff / 1e9));
            return PinOutcome.FAILED;
        }
    }

    /** Tries again the pins that failed, once their wait is over. */
    private void retryPins() {
        long now = System.nanoTime();
        List<Workload> due = workloads.values().stream()
                .filter(w -> !Objects.equals(w.cpus, w.applied) && now - w.nextPinAt >= 0).toList();
        if (!due.isEmpty()) {
            applyAll(due);
        }
    }

    /**
     * Notices groups whose affinity someone else changed since the daemon last set it. By default
     * they are let go, their new affinity kept; with {@link AffinityPolicy.Narrowed#MANAGE} the
     * daemon's pin is put back.
     */
    private void checkPins() {
        if (options.dryRun()) {
            return;
        }
        List<Workload> changed = new ArrayList<>();
        for (Workload w : workloads.values()) {
            if (w.expected == null) {
                continue;
            }
            Optional<List<Integer>> now = groupAffinity(w.pgid);
            if (now.isEmpty() || now.get().equals(w.expected)) {
                continue; // gone (the monitor reports it) or as the daemon left it
            }
            changedByOthers++;
            String reason = "its affinity was changed to " + AffinityPolicy.cpuList(now.get())
                    + " by someone else (the daemon had left it on " + AffinityPolicy.cpuList(w.expected) + ")";
            if (policy.narrowed() == AffinityPolicy.Narrowed.MANAGE) {
                LOG.warn("group {} ({}): {}: putting the daemon's pin back", w.pgid, w.name, reason);
                w.applied = now.get(); // not where the plan wants it: pinned again below
                w.expected = null;
                w.nextPinAt = System.nanoTime();
            } else {
                w.pinError = reason;
                changed.add(w);
            }
        }
        for (Workload w : changed) {
            w.applied = null; // the other party's affinity stays: nothing of the daemon's to restore
            drop(w, w.pinError);
        }
        if (!changed.isEmpty()) {
            replan(changed.size() == 1 ? "a group changed by someone else" : changed.size() + " groups changed by others");
        }
    }

    /**
     * Stops managing a group for good (a pgid reused by a new group is a new group): its own pins,
     * if it still has any, are undone, and it is remembered as left alone.
     */
    private void drop(Workload w, String reason) {
        if (w.applied != null || w.pinError != null && w.expected == null) {
            unpin(w.pgid, w.originalCpus);
        }
        workloads.remove(w.pgid);
        table.remove(w.key());
        originals.forget(w.pgid);
        leaveAlone(w.pgid, w.name, reason);
    }

    private void leaveAlone(int pgid, String name, String reason) {
        LOG.warn("leaving group {} ({}) alone: {}", pgid, name, reason);
        leftAlone.put(pgid, new LeftAlone(pgid, leaderStart(pgid), name, reason));
    }

    /** Puts a group back on its original CPUs, best effort (a failure is logged). */
    private boolean unpin(int pgid, List<Integer> original) {
        if (options.dryRun()) {
            return true;
        }
        try {
            GroupAffinity.pin(pgid, original);
            return true;
        } catch (NativeCallException | IllegalArgumentException e) {
            errors++;
            LOG.warn("cannot restore group {}: {}", pgid, e.getMessage());
            return false;
        }
    }

    /**
     * Restores the groups recorded in the state directory that this daemon does not manage: left
     * pinned by a predecessor that was killed. Only where the group still has the pin the record
     * names (any other affinity is someone else's choice). With {@code leaderless}, only groups
     * whose leader has exited, which no monitor reports again; the others wait to be reported.
     */
    private int restoreRecorded(boolean leaderless) {
        int n = 0;
        for (int pgid : originals.recorded()) {
            if (workloads.containsKey(pgid)) {
                continue;
            }
            Optional<OriginalAffinity.Entry> e = originals.recall(pgid);
            if (e.isEmpty() || leaderless && leaderStart(pgid) >= 0) {
                continue;
            }
            List<Integer> now = ProcessIdentity.ofGroup(pgid).flatMap(p -> affinityOf(p.pid()))
                    .orElse(null);
            if (now != null && now.equals(e.get().pinned())) {
                if (!unpin(pgid, e.get().cpus())) {
                    continue;
                }
                LOG.info("group {}: restored its original affinity {}", pgid, AffinityPolicy.cpuList(e.get().cpus()));
                n++;
            } else if (now != null && e.get().pinned() != null) {
                LOG.info("group {}: not restored, someone else changed its affinity to {} since it was pinned", pgid,
                        AffinityPolicy.cpuList(now));
            }
            originals.forget(pgid);
        }
        return n;
    }

    /** The affinity of the group's leader, or of a member where it has exited; empty when the group is gone. */
    private static Optional<List<Integer>> groupAffinity(int pgid) {
        Optional<List<Integer>> leader = affinityOf(pgid);
        return leader.isPresent() ? leader
                : ProcessIdentity.ofGroup(pgid).flatMap(p -> affinityOf(p.pid()));
    }

    private static Optional<List<Integer>> affinityOf(int pid) {
        try {
            return Optional.of(GroupAffinity.of(pid));
        } catch (NativeCallException e) {
            return Optional.empty();
        }
    }

    private boolean stillAlive(int pgid) {
        try {
            return processes.groupAlive(pgid);
        } catch (IOException e) {
            return true; // keep the record: it is checked again before it is used
        }
    }

    private long leaderStart(int pgid) {
        return processes.startTicks(pgid).orElse(-1);
    }

    /**
     * What a process may use where no cpuset says: the online CPUs the daemon itself may use (in a
     * container whose cpuset is not visible, the daemon's affinity is the container's).
     */
    private List<Integer> usableWithoutCpuset() {
        List<Integer> usable;
        try {
            usable = new ArrayList<>(ProcessIdentity.onlineCpus());
        } catch (IOException | IllegalArgumentException e) {
            usable = new ArrayList<>(replanner.topology().allCpus());
        }
        affinityOf((int) ProcessHandle.current().pid()).ifPresent(usable::retainAll);
        return usable;
    }

    private void periodic() {
        long now = System.nanoTime();
        if (now - lastCountersRead >= options.interval().toNanos()) {
            lastCountersRead = now;
            readCounters(now);
            checkPins();
        }
        retryPins();
        if (now - lastModelCheck >= MODEL_CHECK_NS) {
            lastModelCheck = now;
            lookForNewProfiles();
            takeNewModel();
        }
    }

    /** Takes the newest valid model when it changed, and re-scores and re-plans with it; false when unchanged. */
    private boolean takeNewModel() {
        ModelLoader.Result r = models.reload();
        r.problems().forEach(p -> LOG.warn("model: {}", p));
        if (!r.changed() || r.current().isEmpty()) {
            return false;
        }
        LOG.info("model: now {}", r.current().get().file());
        table.setModel(r.current().get().model());
        replan("a new model");
        return true;
    }

    /** Workloads placed with neutral scores get their real ones once their profile exists. */
    private void lookForNewProfiles() {
        List<String> found = new ArrayList<>();
        for (Workload w : workloads.values()) {
            if (w.profile == null) {
                Optional<Profile> p = profiles.byJob(w.jobId);
                if (p.isPresent()) {
                    w.profile = p.get();
                    table.put(w.key(), w.profile, w.workers);
                    found.add(w.name);
                }
            }
        }
        if (!found.isEmpty()) {
            LOG.info("profiles arrived for {}", found);
            replan("new profiles");
        }
    }

    private void readCounters(long now) {
        for (Workload w : workloads.values()) {
            Optional<Monitor.Counters> c = monitor.counters(w.pgid);
            if (c.isEmpty()) {
                continue;
            }
            Monitor.Counters cur = c.get();
            if (cur.hardware()) {
                Monitor.Counters prev = w.lastCounters;
                if (prev != null && cur.cycles() > prev.cycles()) {
                    w.ipc = (double) (cur.instructions() - prev.instructions()) / (cur.cycles() - prev.cycles());
                }
            } else {
                w.onCpuSeconds = cur.cycles() / 1e9;
            }
            w.lastCounters = cur;
            w.lastCountersAt = now;
        }
    }

    /**
     * Restores every group the daemon pinned: those it manages, and those recorded in the state
     * directory that a killed predecessor left pinned.
     */
    private int restoreAll() {
        int n = 0;
        for (Workload w : workloads.values()) {
            w.cpus = null; // a failed pin waiting for its retry is not tried again either
            w.pinError = null;
            if (w.applied == null) {
                continue;
            }
            if (!unpin(w.pgid, w.originalCpus)) {
                continue;
            }
            w.applied = null;
            w.expected = options.dryRun() ? w.expected : groupAffinity(w.pgid).orElse(null);
            originals.recall(w.pgid).ifPresent(e -> originals.pinned(e, null));
            n++;
        }
        placement = Placement.empty(replanner.topology());
        return n + restoreRecorded(false);
    }

    synchronized ObjectNode reset(boolean counters, boolean affinity) {
        ObjectNode r = JSON.createObjectNode();
        if (counters) {
            monitor.resetCounters();
            for (Workload w : workloads.values()) {
                w.lastCounters = null;
                w.ipc = Double.NaN;
                w.onCpuSeconds = Double.NaN;
            }
            latencyCount = 0; // the event-to-pin samples start over too
            r.put("counters", true);
            LOG.info("counters reset");
        }
        if (affinity) {
            int n = restoreAll();
            r.put("restoredGroups", n);
            LOG.info("affinity restored for {} groups", n);
        }
        return r;
    }

    /** Sets the configuration that status shows (the command's settings and where each came from). */
    public void showConfiguration(com.fasterxml.jackson.databind.JsonNode settings) {
        configuration = settings;
    }

    /** Re-checks the model directory now, as a reload asks, rather than at the next periodic check. */
    public synchronized void reload() {
        lastModelCheck = System.nanoTime();
        if (!takeNewModel()) {
            LOG.info("reload: model unchanged ({})", models.current().map(l -> l.file().toString()).orElse("none"));
        }
    }

    synchronized ObjectNode status() {
        ObjectNode s = JSON.createObjectNode();
        s.put("pid", ProcessHandle.current().pid());
        s.put("uptimeSeconds", (System.nanoTime() - startedAt) / 1_000_000_000L);
        s.put("dryRun", options.dryRun());
        s.put("monitor", monitor.describe());
        s.put("model", models.current().map(l -> l.file().toString()).orElse("none")
                + models.rejection().map(r -> " (newer file rejected: " + r + ")").orElse(""));
        s.put("store", profiles.describe());
        StoreHealth health = profiles.health();
        s.put("storeHealth", health.summary());
        s.put("topology", replanner.topology().toString());
        s.put("minGain", replanner.minGain());
        if (configuration != null) {
            s.set("config", configuration);
        }
        ArrayNode ws = s.putArray("workloads");
        for (Workload w : workloads.values()) {
            ObjectNode o = ws.addObject();
            o.put("pgid", w.pgid);
            o.put("job", w.jobId);
            o.put("name", w.name);
            o.put("workers", w.workers);
            o.put("profileKnown", w.profile != null);
            if (w.slot >= 0) {
                o.put("slot", w.slot);
            }
            ArrayNode cpus = o.putArray("cpus");
            if (w.applied != null) {
                w.applied.forEach(cpus::add);
            }
            ArrayNode wanted = o.putArray("wantedCpus");
            if (w.cpus != null) {
                w.cpus.forEach(wanted::add);
            }
            if (w.pinError != null) {
                o.put("pinError", w.pinError);
                o.put("pinFailures", w.pinFailures);
            }
            if (w.lastCounters != null) {
                ObjectNode ipc = o.putObject("ipc");
                ipc.put("cycles", w.lastCounters.cycles());
                ipc.put("instructions", w.lastCounters.instructions());
                if (!Double.isNaN(w.ipc)) {
                    ipc.put("value", w.ipc);
                }
                if (!Double.isNaN(w.onCpuSeconds)) {
                    ipc.put("onCpuSeconds", w.onCpuSeconds);
                }
            } else {
                o.putNull("ipc");
            }
        }
        ArrayNode alone = s.putArray("leftAlone");
        for (LeftAlone a : leftAlone.values()) {
            alone.addObject().put("pgid", a.pgid()).put("name", a.name()).put("reason", a.reason());
        }
        PairingInput input = table.toPairingInput();
        ArrayNode cores = s.putArray("cores");
        Map<String, String> names = new HashMap<>();
        workloads.values().forEach(w -> names.put(w.key(), w.name + " [" + w.pgid + "]"));
        for (int c = 0; c < replanner.topology().coreCount(); c++) {
            ObjectNode o = cores.addObject();
            o.put("core", c);
            ArrayNode cpus = o.putArray("cpus");
            replanner.topology().cpus(c).forEach(cpus::add);
            ArrayNode on = o.putArray("workloads");
            placement.occupants(c).forEach(k -> on.add(names.getOrDefault(k, k)));
            o.put("score", placement.retain(new java.util.HashSet<>(input.ids())).coreScore(c, input));
        }
        ObjectNode k = s.putObject("counters");
        k.put("events", events);
        k.put("plans", plans);
        k.put("pins", pins);
        k.put("moves", moves);
        k.put("errors", errors + health.errors());
        if (monitor instanceof UserspaceMonitor u) {
            k.put("profileRuleErrors", u.profileErrors());
        }
        k.put("changedByOthers", changedByOthers);
        ObjectNode lat = s.putObject("eventToPinMs");
        long n = Math.min(latencyCount, LATENCY_SAMPLES);
        lat.put("samples", n);
        if (n > 0) {
            long[] sorted = Arrays.copyOf(latencies, (int) n);
            Arrays.sort(sorted);
            lat.put("median", sorted[(int) (n / 2)] / 1e6);
            lat.put("p99", sorted[(int) Math.min(n - 1, (long) Math.ceil(n * 0.99) - 1)] / 1e6);
            lat.put("max", sorted[(int) n - 1] / 1e6);
        }
        return s;
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4f", v);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
