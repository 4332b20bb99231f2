// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.smtcheck.control.ControlServer;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.ObservedSlowdowns;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.profiling.InSituProfiler;
import io.smtcheck.profiling.InSituProfiling;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.sched.Replanner;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
 * watched. The control socket's reset runs here too, under the same lock (a restore's reads
 * before it); status reads the copy of the state the loop leaves after each change, and so never
 * waits for the loop. Each interval's counts also correct the scores of the pairs that run, and
 * re-plan when the corrections add up ({@link Learning}, docs/learning.md).
 *
 * <p>Nothing under the lock waits for /proc, the state directory or the store where it can be
 * avoided: what an arrival, an exit or a restore needs to read is read first, outside the lock,
 * and applied under it ({@link Admission}, {@link Restore}). The plan and its pins are
 * {@link Replanning}'s.
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
    private static final ObjectWriter INDENTED = JSON.writerWithDefaultPrettyPrinter();
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
    private final Replanning replanning;
    private final StatusAssembly statusAssembly;
    private final InSitu inSitu;
    private final Learning learning;
    /** Held through a restore's look and apply, so that two restores do not interleave; taken before the lock. */
    private final Object restoring = new Object();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private long lastCountersRead;
    private long lastModelCheck;
    private volatile boolean running = true;
    private volatile DaemonStatus.Configuration configuration;
    private volatile StatusAssembly.Snapshot snapshot;
    private final AtomicBoolean started = new AtomicBoolean();

    public Daemon(DaemonOptions options, Monitor monitor, ProfileSource profiles, ModelLoader models,
            Replanner replanner) {
        this(options, monitor, profiles, models, replanner, InSituProfiler.Settings.DEFAULTS);
    }

    /** @param inSitu the windows of in-situ profiles (short in tests) */
    Daemon(DaemonOptions options, Monitor monitor, ProfileSource profiles, ModelLoader models, Replanner replanner,
            InSituProfiler.Settings inSitu) {
        this(options, monitor, profiles, models, replanner, inSitu, null);
    }

    /**
     * @param inSitu          the windows of in-situ profiles (short in tests)
     * @param inSituResources the injectors' resources those profiles measure, or null: all that
     *                        {@code smtcheck-inject --list} has
     */
    Daemon(DaemonOptions options, Monitor monitor, ProfileSource profiles, ModelLoader models, Replanner replanner,
            InSituProfiler.Settings inSitu, Set<String> inSituResources) {
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
        this.replanning = new Replanning(options, state, table, replanner, pinning, originals, admission);
        this.statusAssembly = new StatusAssembly(options, monitor, profiles, models, replanner);
        this.inSitu = new InSitu(this, state, monitor, profiles, pinning, replanning::replan, replanner.topology(),
                new HashSet<>(admission.usableWithoutCpuset()), options.stateDir().resolve("insitu"), inSitu, inSituResources);
        this.learning = new Learning(replanner.topology(), profiles);
        table.learnFrom(Learning.observations());
        this.snapshot = statusAssembly.snapshot(state, table, learning);
    }

    /** The commands of the control socket. */
    public Map<String, ControlServer.Command> controlCommands() {
        return Map.of(
                "status", ControlServer.Command.reading((request, peer) -> statusAnswer(request.path("format"))),
                "launch", GroupRegistration.command(monitor),
                "profile", ControlServer.Command.onOwnGroup((request, peer) -> profileInSitu(request.path("pgid").asInt(-1))),
                "reset", ControlServer.Command.changing((request, peer) ->
                        reset(request.path("counters").asBoolean(false), request.path("affinity").asBoolean(false))));
    }

    /**
     * The status as the request's {@code format} asks: the record tree without one; already
     * rendered as a string with {@code "text"} (what `smtcheck status` prints), {@code "json"}
     * (indented, what `smtcheck status --json` prints) or {@code "json-line"} (on one line, what
     * `--watch --json` prints), for a client that reads no JSON but a string.
     */
    private JsonNode statusAnswer(JsonNode format) throws JsonProcessingException {
        DaemonStatus s = status();
        if (format.isMissingNode() || format.isNull()) {
            return JSON.valueToTree(s);
        }
        return switch (format.asText()) {
            case "text" -> TextNode.valueOf(StatusText.render(s));
            case "json" -> TextNode.valueOf(INDENTED.writeValueAsString(s) + "\n");
            case "json-line" -> TextNode.valueOf(JSON.writeValueAsString(s) + "\n");
            default -> throw new IllegalArgumentException("format: '" + format.asText()
                    + "' is not one of text, json, json-line (or none, for the record itself)");
        };
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
        int n = restoreLeaderless();
        if (n > 0) {
            LOG.info("restored the original affinity of {} groups an earlier daemon left pinned without their"
                    + " leader", n);
        }
        learning.readHistory();
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
                        state.error(DaemonState.ErrorKind.MONITOR);
                        state.monitorFailed(String.valueOf(e.getMessage()));
                        publish();
                    }
                    LOG.warn("monitor: {}", e.getMessage());
                    sleep(500);
                    continue;
                }
                long receivedAt = System.nanoTime();
                Observed seen = observe(batch);
                synchronized (this) {
                    boolean changed = state.monitorFailingSince != null;
                    state.monitorWorks();
                    changed |= handleBatch(batch, seen, receivedAt);
                    if (periodic() || changed) {
                        publish();
                    }
                }
                if (batch.stream().anyMatch(e -> e instanceof Monitor.Reattached)) {
                    registerAgain();
                }
                lookForNewProfiles();
                if (inSituWanted) {
                    inSitu.prepare();
                }
            }
        } finally {
            inSitu.close();
            synchronized (this) {
                learning.endRuns();
            }
            learning.close();
            if (options.restoreOnExit()) {
                int restored = restoreAll(true);
                LOG.info("stopping: restored the original affinity of {} groups", restored);
            }
            synchronized (this) {
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

    /** What was read of a batch's groups outside the lock: the new arrivals, and which exited groups still have processes. */
    private record Observed(Map<Integer, Admission.Arrival> arrivals, Set<Integer> aliveAtExit) {
        static final Observed NOTHING = new Observed(Map.of(), Set.of());
    }

    /** Looks at the newly reported and the exited groups of {@code events}, outside the lock (see {@link Admission}). */
    private Observed observe(List<Monitor.Event> events) {
        Set<Integer> alive = new HashSet<>();
        for (Monitor.Event e : events) {
            if (e instanceof Monitor.Exited x && admission.stillAlive(x.pgid())) {
                alive.add(x.pgid());
            }
        }
        if (events.stream().noneMatch(e -> e instanceof Monitor.Detected)) {
            return alive.isEmpty() ? Observed.NOTHING : new Observed(Map.of(), alive);
        }
        Set<Integer> managed;
        Map<Integer, Long> alone = new HashMap<>();
        synchronized (this) {
            managed = new HashSet<>(state.groups.keySet());
            state.leftAlone.values().forEach(a -> alone.put(a.pgid(), a.leaderStartTicks()));
        }
        return new Observed(admission.observeNew(events, managed, alone), alive);
    }

    /**
     * Takes in the groups the monitor already tracks (a restarted daemon's), where they run now
     * (see {@link Replanning#placeWhereTheyRun}).
     */
    private void adopt(List<Monitor.Event> found) {
        if (found.isEmpty()) {
            return;
        }
        Observed seen = observe(found);
        synchronized (this) {
            List<ManagedGroup> adopted = new ArrayList<>();
            for (Monitor.Event e : found) {
                state.events++;
                if (e instanceof Monitor.Detected d) {
                    ManagedGroup g = admit(d, seen);
                    if (g != null) {
                        adopted.add(g);
                    }
                } else if (e instanceof Monitor.SlotAssigned a) {
                    slotAssigned(a);
                }
            }
            if (!adopted.isEmpty()) {
                int placed = replanning.placeWhereTheyRun(adopted);
                LOG.info("adopting {} groups the kernel already tracks ({} already pinned where they run)",
                        adopted.size(), placed);
                replanning.replan(adopted.size() + " groups adopted");
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
    private boolean handleBatch(List<Monitor.Event> batch, Observed seen, long receivedAt) {
        List<ManagedGroup> arrived = new ArrayList<>();
        int left = 0;
        for (Monitor.Event e : batch) {
            if (e instanceof Monitor.Reattached) {
                continue; // not a group's event: answered after the batch (registerAgain)
            }
            state.events++;
            if (e instanceof Monitor.Detected d) {
                ManagedGroup g = admit(d, seen);
                if (g != null) {
                    arrived.add(g);
                }
            } else if (e instanceof Monitor.Exited x) {
                state.leftAlone.remove(x.pgid());
                left += replanning.exited(x.pgid(), seen.aliveAtExit().contains(x.pgid())) ? 1 : 0;
            } else if (e instanceof Monitor.SlotAssigned a) {
                slotAssigned(a);
            }
        }
        arrived.removeIf(g -> !state.groups.containsKey(g.pgid)); // arrived and left in the same batch
        if (left > 0) {
            inSitu.endGone();
        }
        if (arrived.isEmpty() && left == 0) {
            return !batch.isEmpty();
        }
        replanning.replan(describe(arrived, left));
        for (ManagedGroup g : arrived) {
            if (state.groups.containsKey(g.pgid)) {
                monitor.acknowledge(g.pgid, g.jobId);
                state.recordLatency(System.nanoTime() - receivedAt);
            }
        }
        return true;
    }

    private ManagedGroup admit(Monitor.Detected d, Observed seen) {
        ManagedGroup g = admission.admit(d, seen.arrivals().get(d.pgid()), state, monitor);
        if (g != null) {
            table.put(g.key(), ObservedSlowdowns.workloadOf(g.jobId), g.profile, g.workers);
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
            state.error(DaemonState.ErrorKind.SLOT);
            LOG.warn("group {} got no IPC slot: error {}", s.pgid(), -s.slot());
        } else if (g != null) {
            g.slot = s.slot();
        }
    }

    /**
     * The kernel modules came back and know no group: registers again, outside the lock, every
     * group the daemon had from them, managed or left alone, so that they are reported again.
     */
    private void registerAgain() {
        List<Monitor.Detected> known = new ArrayList<>();
        synchronized (this) {
            state.groups.values().forEach(g -> known.add(new Monitor.Detected(g.pgid, g.jobId, g.reportedWorkers, 0, "")));
            state.leftAlone.values().forEach(a -> known.add(new Monitor.Detected(a.pgid(), a.jobId(), a.workers(), 0, "")));
        }
        long again = known.stream().filter(g -> monitor.registerAgain(g.pgid(), g.jobId(), g.workers())).count();
        if (again > 0) {
            LOG.info("registered {} groups again with runtime_monitor", again);
        }
    }

    /** The interval's work: counters, pins changed by others, retries, the model; false when nothing was due. */
    private boolean periodic() {
        long now = System.nanoTime();
        boolean did = false;
        if (now - lastCountersRead >= options.interval().toNanos()) {
            lastCountersRead = now;
            for (ManagedGroup g : state.groups.values()) {
                monitor.counters(g.pgid, g.slot).ifPresent(g::counted);
            }
            if (learning.takeHistory(table)) {
                replanning.replan("observed slowdowns of earlier runs");
            }
            if (learning.observe(state, table, now, inSitu.running())) {
                replanning.replan("observed slowdowns");
            }
            inSitu.endGone();
            profileWithoutProfiles();
            replanning.checkPins(policy);
            did = true;
        }
        did |= replanning.retryPins();
        if (now - lastModelCheck >= MODEL_CHECK_NS) {
            lastModelCheck = now;
            takeNewModel();
            did = true;
        }
        return did;
    }

    /** Set once a group without a profile is counted in hardware: the injectors are then loaded, outside the lock. */
    private volatile boolean inSituWanted;
    /**
     * Jobs whose in-situ profile started here: not started again by themselves (a refused one
     * would be refused again), except after their group exited mid-way (the next resumes).
     */
    private final Set<Integer> inSituTried = new HashSet<>();

    /**
     * Profiles in situ, where the policy lets them start, the groups that have no profile and are
     * counted in hardware. Under the lock; the windows run elsewhere.
     */
    private void profileWithoutProfiles() {
        for (ManagedGroup g : List.copyOf(state.groups.values())) {
            if (g.profile != null || g.lastCounters == null || !g.lastCounters.hardware() || g.workers != 1
                    || inSituTried.contains(g.jobId)) {
                continue;
            }
            inSituWanted = true;
            if (inSitu.ready() && inSitu.start(g, this::inSituEnded).isEmpty()) {
                startedInSitu(g);
            }
        }
    }

    /**
     * The control socket's {@code profile}: profiles group {@code pgid} in situ now, or says in one
     * line why it cannot.
     */
    private ObjectNode profileInSitu(int pgid) {
        inSitu.prepare(); // outside the lock: it may run smtcheck-inject once; start says when it failed
        synchronized (this) {
            ManagedGroup g = state.groups.get(pgid);
            if (g == null) {
                throw new IllegalArgumentException("group " + pgid + " is not managed by the daemon (see smtcheck status)");
            }
            Optional<String> refusal = inSitu.start(g, this::inSituEnded);
            if (refusal.isPresent()) {
                throw new IllegalArgumentException(refusal.get());
            }
            startedInSitu(g);
            ObjectNode r = JSON.createObjectNode().put("pgid", pgid).put("job", g.jobId);
            // A profile that failed at once (its injectors) has ended already: its log says why.
            inSitu.active().stream().filter(x -> x.pgid() == pgid).findFirst().ifPresent(a -> {
                r.put("windows", a.done().total());
                a.cpus().forEach(r.putArray("cpus")::add);
            });
            return r;
        }
    }

    private void startedInSitu(ManagedGroup g) {
        inSituTried.add(g.jobId);
        LOG.info("profiling group {} ({}, job {}) in situ on CPUs {}; until it ends, plans leave it and that core out",
                g.pgid, g.name, g.jobId, AffinityPolicy.cpuList(state.lent.getOrDefault(g.pgid, List.of())));
        publish();
    }

    /** Under the lock, from the profile's thread: its group and core are back, and the plan places them. */
    private void inSituEnded(InSituProfiling.Outcome o) {
        if (o.failure() instanceof InSituProfiler.FailedException f && f.resumable()) {
            inSituTried.remove(o.jobId());
        }
        replanning.replan("the in-situ profile of group " + o.pgid() + " ended");
        publish();
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
        replanning.replan("a new model");
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
            // A Slurm job's profile goes by name (profileName), never by its job id.
            state.groups.values().stream().filter(g -> g.profile == null && g.profileName == null)
                    .forEach(g -> waiting.put(g.pgid, g.jobId));
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
                    table.put(g.key(), ObservedSlowdowns.workloadOf(g.jobId), g.profile, g.workers);
                    names.add(g.name);
                }
            });
            if (!names.isEmpty()) {
                LOG.info("profiles arrived for {}", names);
                replanning.replan("new profiles");
                publish();
            }
        }
    }

    /**
     * Zeroes the counters, restores every group's affinity, or both. What a restore reads is read
     * outside the lock, so neither status, nor another request, nor the loop waits for it.
     */
    ObjectNode reset(boolean counters, boolean affinity) {
        ObjectNode r = JSON.createObjectNode();
        if (counters) {
            synchronized (this) {
                monitor.resetCounters();
                state.groups.values().forEach(ManagedGroup::countersReset);
                state.resetLatencies(); // the event-to-pin samples start over too
            }
            r.put("counters", true);
            LOG.info("counters reset");
        }
        if (affinity) {
            int n = restoreAll(false);
            r.put("restoredGroups", n);
            LOG.info("affinity restored for {} groups", n);
        }
        synchronized (this) {
            publish();
        }
        return r;
    }

    /**
     * Restores every group the daemon pinned, managed or recorded (see {@link Restore}); at the
     * loop's end ({@code stopping}) the records of the groups left on their original CPUs go too.
     */
    private int restoreAll(boolean stopping) {
        synchronized (restoring) {
            Set<Integer> managed = new HashSet<>();
            Set<Integer> pinned = new HashSet<>();
            synchronized (this) {
                state.groups.values().forEach(g -> {
                    managed.add(g.pgid);
                    if (g.pin.applied() != null) {
                        pinned.add(g.pgid);
                    }
                });
            }
            Restore.Look look = restore.look(managed, pinned, false);
            synchronized (this) {
                int n = restore.all(state, look);
                if (stopping) {
                    state.groups.values().stream().filter(g -> g.pin.applied() == null)
                            .forEach(g -> originals.forget(g.pgid));
                }
                return n;
            }
        }
    }

    /** At start: restores the recorded groups whose leader has exited, which no monitor reports again. */
    private int restoreLeaderless() {
        synchronized (restoring) {
            Restore.Look look = restore.look(Set.of(), Set.of(), true);
            synchronized (this) {
                return restore.recorded(state, look);
            }
        }
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

    /** Event-to-pin latencies since start, in buckets; takes no lock the loop holds. */
    public LatencyHistogram eventToPinHistogram() {
        return snapshot.eventToPin();
    }

    /** What the daemon manages and has done; takes no lock the loop holds. */
    public DaemonStatus status() {
        return statusAssembly.status(snapshot, configuration, inSitu.active().stream()
                .map(a -> new DaemonStatus.Profiling(a.pgid(), a.jobId(), a.cpus(), a.done().done(), a.done().total(),
                        a.done().current())).toList());
    }

    /** Leaves a copy of the state for status; called under the lock after each change. */
    private void publish() {
        snapshot = statusAssembly.snapshot(state, table, learning);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
