// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.control.ControlServer;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.sched.PairingInput;
import io.smtcheck.sched.Placement;
import io.smtcheck.sched.Replanner;
import java.io.IOException;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's loop (docs/architecture.md §2): a group reported by the monitor gets its profile (or a
 * profiling request and neutral scores), joins the score table, the workloads are re-planned,
 * their affinity applied, and the monitor acknowledged. Exits leave the table and re-plan, moving
 * nobody for a negligible gain. Counters are read every interval and the model directory is
 * watched. The control socket's reset runs here too, under the same lock; status reads the copy
 * of the state the loop leaves after each change, and so never waits for the loop.
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

    private final DaemonOptions options;
    private final Monitor monitor;
    private final ProfileSource profiles;
    private final ModelLoader models;
    private final Replanner replanner;
    private final ScoreTable table;
    private final OriginalAffinity originals;
    private final ProcessTable processes = new ProcessTable();
    private final AffinityPolicy policy;
    private final DaemonState state;
    private final Pinning pinning;
    private final Admission admission;
    private final Restore restore;
    private final StatusAssembly statusAssembly;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private long lastCountersRead;
    private long lastModelCheck;
    private volatile boolean running = true;
    private volatile DaemonStatus.Configuration configuration;
    private volatile StatusAssembly.Snapshot snapshot;
    private final AtomicBoolean started = new AtomicBoolean();

    public Daemon(DaemonOptions options, Monitor monitor, ProfileSource profiles, ModelLoader models,
            Replanner replanner) {
        this.options = options;
        this.monitor = monitor;
        this.profiles = profiles;
        this.models = models;
        this.replanner = replanner;
        this.table = new ScoreTable(models.current().orElseThrow(
                () -> new IllegalStateException("no valid prediction model in " + models.directory())).model());
        this.originals = new OriginalAffinity(options.stateDir().resolve("originals"), processes);
        this.policy = options.affinityPolicy();
        this.state = new DaemonState(replanner.topology());
        this.pinning = new Pinning(options, originals, state);
        this.admission = new Admission(policy, originals, profiles, processes, replanner.topology(), pinning);
        this.restore = new Restore(options, originals, processes, pinning);
        this.statusAssembly = new StatusAssembly(options, monitor, profiles, models, replanner);
        this.snapshot = statusAssembly.snapshot(state, table);
    }

    /** The commands of the control socket. */
    public Map<String, ControlServer.Command> controlCommands() {
        return Map.of(
                "status", ControlServer.Command.reading((request, peer) -> JSON.valueToTree(status())),
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
            int n = restore.recorded(state, true);
            if (n > 0) {
                LOG.info("restored the original affinity of {} groups an earlier daemon left pinned without their"
                        + " leader", n);
            }
        }
        adopt(monitor.adoptable());
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
                        state.errors++;
                        publish();
                    }
                    LOG.warn("monitor: {}", e.getMessage());
                    sleep(500);
                    continue;
                }
                long receivedAt = System.nanoTime();
                Map<Integer, Admission.Arrival> arrivals = observe(batch);
                synchronized (this) {
                    boolean changed = handleBatch(batch, arrivals, receivedAt);
                    if (periodic() || changed) {
                        publish();
                    }
                }
                lookForNewProfiles();
            }
        } finally {
            synchronized (this) {
                if (options.restoreOnExit()) {
                    int n = restore.all(state);
                    state.groups.values().stream().filter(g -> g.pin.applied() == null)
                            .forEach(g -> originals.forget(g.pgid));
                    LOG.info("stopping: restored the original affinity of {} groups", n);
                }
                publish();
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

    /** Looks at the newly reported groups of {@code events}, outside the lock (see {@link Admission}). */
    private Map<Integer, Admission.Arrival> observe(List<Monitor.Event> events) {
        if (events.stream().noneMatch(e -> e instanceof Monitor.Detected)) {
            return Map.of();
        }
        Set<Integer> managed;
        Map<Integer, Long> alone = new HashMap<>();
        synchronized (this) {
            managed = new HashSet<>(state.groups.keySet());
            state.leftAlone.values().forEach(a -> alone.put(a.pgid(), a.leaderStartTicks()));
        }
        return admission.observeNew(events, managed, alone);
    }

    /**
     * Takes in the groups the monitor already tracks (a restarted daemon's), where they run now: a
     * group pinned to as many CPUs of the topology as it has workers counts as placed there, so
     * the plan keeps it unless the optimum beats that by the minimum gain.
     */
    private void adopt(List<Monitor.Event> found) {
        if (found.isEmpty()) {
            return;
        }
        Map<Integer, Admission.Arrival> arrivals = observe(found);
        synchronized (this) {
            List<ManagedGroup> adopted = new ArrayList<>();
            for (Monitor.Event e : found) {
                state.events++;
                if (e instanceof Monitor.Detected d) {
                    ManagedGroup g = admit(d, arrivals);
                    if (g != null) {
                        adopted.add(g);
                    }
                } else if (e instanceof Monitor.SlotAssigned a) {
                    slotAssigned(a);
                }
            }
            if (!adopted.isEmpty()) {
                Map<String, List<Integer>> running = new LinkedHashMap<>();
                for (ManagedGroup g : adopted) {
                    if (g.cpusAtArrival.size() == g.workers) {
                        running.put(g.key(), g.cpusAtArrival);
                    }
                }
                Map<String, List<Integer>> placed = Placement.ofCpus(running, replanner.topology())
                        .cpusByWorkload();
                for (ManagedGroup g : adopted) {
                    List<Integer> cpus = placed.get(g.key());
                    if (cpus != null) {
                        g.pin = new Pin(cpus, cpus);
                    }
                }
                LOG.info("adopting {} groups the kernel already tracks ({} already pinned where they run)",
                        adopted.size(), placed.size());
                replan(adopted.size() + " groups adopted");
                for (ManagedGroup g : adopted) {
                    if (state.groups.containsKey(g.pgid)) {
                        monitor.acknowledge(g.pgid, g.jobId);
                    }
                }
            }
            publish();
        }
    }

    /**
     * Takes in every event of one poll, plans once for all of them, then acknowledges the new
     * groups: a burst of arrivals costs one plan, not one each. Returns whether anything happened.
     */
    private boolean handleBatch(List<Monitor.Event> batch, Map<Integer, Admission.Arrival> arrivals,
            long receivedAt) {
        List<ManagedGroup> arrived = new ArrayList<>();
        int left = 0;
        for (Monitor.Event e : batch) {
            state.events++;
            if (e instanceof Monitor.Detected d) {
                ManagedGroup g = admit(d, arrivals);
                if (g != null) {
                    arrived.add(g);
                }
            } else if (e instanceof Monitor.Exited x) {
                state.leftAlone.remove(x.pgid());
                left += exited(x.pgid()) ? 1 : 0;
            } else if (e instanceof Monitor.SlotAssigned a) {
                slotAssigned(a);
            }
        }
        arrived.removeIf(g -> !state.groups.containsKey(g.pgid)); // arrived and left in the same batch
        if (arrived.isEmpty() && left == 0) {
            return !batch.isEmpty();
        }
        replan(describe(arrived, left));
        for (ManagedGroup g : arrived) {
            if (state.groups.containsKey(g.pgid)) {
                monitor.acknowledge(g.pgid, g.jobId);
                state.recordLatency(System.nanoTime() - receivedAt);
            }
        }
        return true;
    }

    private ManagedGroup admit(Monitor.Detected d, Map<Integer, Admission.Arrival> arrivals) {
        ManagedGroup g = admission.admit(d, arrivals.get(d.pgid()), state, monitor);
        if (g != null) {
            table.put(g.key(), g.profile, g.workers);
        }
        return g;
    }

    private static String describe(List<ManagedGroup> arrived, int left) {
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
        ManagedGroup g = state.groups.get(s.pgid());
        if (s.slot() < 0) {
            state.errors++;
            LOG.warn("group {} got no IPC slot: error {}", s.pgid(), -s.slot());
        } else if (g != null) {
            g.slot = s.slot();
        }
    }

    /** Lets a group go (without planning); false when it was not managed. */
    private boolean exited(int pgid) {
        ManagedGroup g = state.groups.remove(pgid);
        if (g == null) {
            return false;
        }
        table.remove(g.key());
        if (!stillAlive(pgid)) {
            originals.forget(pgid);
        } // else the monitor let go of a live group: the record lets a later report or a restore find the pin
        LOG.info("group {} ({}) left", pgid, g.name);
        return true;
    }

    /** Re-plans and applies what changed. */
    private void replan(String why) {
        PairingInput input = PairingInput.of(table);
        Replanner.Decision d;
        try {
            d = replanner.decide(input, state.placement());
        } catch (RuntimeException e) {
            state.errors++;
            LOG.error("planning failed ({}): {}", why, e.getMessage());
            return;
        }
        state.plans++;
        Map<String, List<Integer>> target = d.placement().cpusByWorkload();
        LOG.info("plan after {}: score {} (optimum {}, keeping {}){}", why, fmt(d.score()), fmt(d.optimalScore()),
                fmt(d.keptScore()), d.moved() == 0 ? "" : ", moving " + d.moved() + (d.moved() == 1 ? " group" : " groups"));
        List<ManagedGroup> due = new ArrayList<>();
        long now = System.nanoTime();
        for (ManagedGroup g : state.groups.values()) {
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
        gone.forEach(this::exited);
        for (ManagedGroup g : givenUp) {
            drop(g, g.pinError);
        }
        if (!gone.isEmpty() || !givenUp.isEmpty()) {
            replan(gone.size() + givenUp.size() + " groups found empty or given up");
        }
    }

    /** Tries again the pins that failed, once their wait is over; false when none was due. */
    private boolean retryPins() {
        long now = System.nanoTime();
        List<ManagedGroup> due = state.groups.values().stream().filter(g -> g.pinDue(now)).toList();
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
    private void checkPins() {
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
                g.pin = g.pin.appliedAt(now.get()); // not where the plan wants it: pinned again below
                g.expected = null;
                g.nextPinAt = System.nanoTime();
            } else {
                g.pinError = reason;
                changed.add(g);
            }
        }
        for (ManagedGroup g : changed) {
            g.pin = g.pin.appliedAt(null); // the other party's affinity stays: nothing of the daemon's to restore
            drop(g, g.pinError);
        }
        if (!changed.isEmpty()) {
            replan(changed.size() == 1 ? "a group changed by someone else" : changed.size() + " groups changed by others");
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
        admission.leaveAlone(state, g.pgid, g.name, reason);
    }

    private boolean stillAlive(int pgid) {
        try {
            return processes.groupAlive(pgid);
        } catch (IOException e) {
            return true; // keep the record: it is checked again before it is used
        }
    }

    /** The interval's work: counters, pins changed by others, retries, the model; false when nothing was due. */
    private boolean periodic() {
        long now = System.nanoTime();
        boolean did = false;
        if (now - lastCountersRead >= options.interval().toNanos()) {
            lastCountersRead = now;
            readCounters();
            checkPins();
            did = true;
        }
        did |= retryPins();
        if (now - lastModelCheck >= MODEL_CHECK_NS) {
            lastModelCheck = now;
            takeNewModel();
            did = true;
        }
        return did;
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

    private long lastProfileCheck;

    /**
     * Workloads placed with neutral scores get their real ones once their profile exists. The
     * store is asked outside the lock; what it found is applied under it.
     */
    private void lookForNewProfiles() {
        long now = System.nanoTime();
        if (now - lastProfileCheck < MODEL_CHECK_NS) {
            return;
        }
        lastProfileCheck = now;
        Map<Integer, Integer> waiting = new HashMap<>(); // pgid to job id
        synchronized (this) {
            state.groups.values().stream().filter(g -> g.profile == null).forEach(g -> waiting.put(g.pgid, g.jobId));
        }
        Map<Integer, Profile> found = new HashMap<>();
        waiting.forEach((pgid, job) -> profiles.byJob(job).ifPresent(p -> found.put(pgid, p)));
        if (found.isEmpty()) {
            return;
        }
        synchronized (this) {
            List<String> names = new ArrayList<>();
            found.forEach((pgid, p) -> {
                ManagedGroup g = state.groups.get(pgid);
                if (g != null && g.profile == null && g.jobId == waiting.get(pgid)) {
                    g.profile = p;
                    table.put(g.key(), g.profile, g.workers);
                    names.add(g.name);
                }
            });
            if (!names.isEmpty()) {
                LOG.info("profiles arrived for {}", names);
                replan("new profiles");
                publish();
            }
        }
    }

    private void readCounters() {
        for (ManagedGroup g : state.groups.values()) {
            Optional<Monitor.Counters> c = monitor.counters(g.pgid);
            if (c.isEmpty()) {
                continue;
            }
            Monitor.Counters cur = c.get();
            if (cur.hardware()) {
                Monitor.Counters prev = g.lastCounters;
                if (prev != null && cur.cycles() > prev.cycles()) {
                    g.ipc = (double) (cur.instructions() - prev.instructions()) / (cur.cycles() - prev.cycles());
                }
            } else {
                g.onCpuSeconds = cur.cycles() / 1e9;
            }
            g.lastCounters = cur;
        }
    }

    synchronized ObjectNode reset(boolean counters, boolean affinity) {
        ObjectNode r = JSON.createObjectNode();
        if (counters) {
            monitor.resetCounters();
            for (ManagedGroup g : state.groups.values()) {
                g.lastCounters = null;
                g.ipc = Double.NaN;
                g.onCpuSeconds = Double.NaN;
            }
            state.resetLatencies(); // the event-to-pin samples start over too
            r.put("counters", true);
            LOG.info("counters reset");
        }
        if (affinity) {
            int n = restore.all(state);
            r.put("restoredGroups", n);
            LOG.info("affinity restored for {} groups", n);
        }
        publish();
        return r;
    }

    /** Sets the configuration that status shows (the command's settings and where each came from). */
    public void showConfiguration(DaemonStatus.Configuration settings) {
        configuration = settings;
    }

    /** Re-checks the model directory now, as a reload asks, rather than at the next periodic check. */
    public synchronized void reload() {
        lastModelCheck = System.nanoTime();
        if (!takeNewModel()) {
            LOG.info("reload: model unchanged ({})", models.current().map(l -> l.file().toString()).orElse("none"));
        }
        publish();
    }

    /** What the daemon manages and has done; takes no lock the loop holds. */
    DaemonStatus status() {
        return statusAssembly.status(snapshot, configuration);
    }

    /** Leaves a copy of the state for status; called under the lock after each change. */
    private void publish() {
        snapshot = statusAssembly.snapshot(state, table);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
