// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.control.ControlServer;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.profiles.StoreHealth;
import io.smtcheck.sched.GroupAffinity;
import io.smtcheck.sched.NativeCallException;
import io.smtcheck.sched.PairingInput;
import io.smtcheck.sched.Placement;
import io.smtcheck.sched.Replanner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MODEL_CHECK_NS = 5_000_000_000L;
    private static final int LATENCY_SAMPLES = 4096;

    private final DaemonOptions options;
    private final Monitor monitor;
    private final ProfileSource profiles;
    private final ModelLoader models;
    private final Replanner replanner;
    private final ScoreTable table;
    private final OriginalAffinity originals;
    private final Map<Integer, Workload> workloads = new LinkedHashMap<>();
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
    private long lastCountersRead;
    private long lastModelCheck;
    private volatile boolean running = true;
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
        this.originals = new OriginalAffinity(options.stateDir().resolve("originals"),
                new io.smtcheck.procfs.ProcessTable());
    }

    /** The commands of the control socket. */
    public Map<String, ControlServer.Command> controlCommands() {
        return Map.of(
                "status", ControlServer.Command.reading((request, peer) -> status()),
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
                    workloads.values().stream().filter(w -> w.cpus == null).forEach(w -> originals.forget(w.pgid));
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
                    .filter(w -> w.key().equals(key)).forEach(w -> w.cpus = cpus));
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
        List<Integer> current;
        try {
            current = GroupAffinity.of(d.pgid());
        } catch (NativeCallException ex) {
            LOG.info("group {} (job {}) is gone before it could be placed", d.pgid(), d.jobId());
            return null;
        }
        // A group pinned by an earlier daemon that died keeps the original it recorded then.
        List<Integer> original = originals.recall(d.pgid()).orElse(current);
        originals.remember(d.pgid(), original);
        Optional<Profile> profile = profiles.byJob(d.jobId());
        String name = profile.map(Profile::name).orElse(d.name().isEmpty() ? "job " + d.jobId() : d.name());
        if (profile.isEmpty()) {
            profiles.requestProfile(d.jobId(), name);
            LOG.info("group {} (job {}) has no profile: profiling requested, placed with neutral scores", d.pgid(),
                    d.jobId());
        }
        Workload w = new Workload(d.pgid(), d.jobId(), Math.max(1, d.workers()), name, profile.orElse(null), original,
                current);
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
        originals.forget(pgid);
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
                fmt(d.keptScore()), d.moved() ? ", moving to the optimum" : "");
        List<Integer> gone = new ArrayList<>();
        for (Workload w : workloads.values()) {
            List<Integer> cpus = target.get(w.key());
            if (cpus == null ? w.cpus == null : cpus.equals(w.cpus)) {
                continue;
            }
            if (w.cpus != null && cpus != null) {
                moves++;
            }
            if (!pin(w, cpus == null ? w.originalCpus : cpus, cpus == null)) {
                gone.add(w.pgid);
                continue;
            }
            w.cpus = cpus;
        }
        placement = d.placement();
        gone.forEach(this::exited);
        if (!gone.isEmpty()) {
            replan(gone.size() + " groups found empty");
        }
    }

    /** Pins a group (back to its original CPUs when {@code restoring}); false when it has no process left. */
    private boolean pin(Workload w, List<Integer> cpus, boolean restoring) {
        String what = restoring ? "no hardware thread left for it: original affinity" : "CPUs";
        if (options.dryRun()) {
            LOG.info("dry run: would pin group {} ({}) to {} {}", w.pgid, w.name, what, cpus);
            return true;
        }
        try {
            GroupAffinity.Result r = GroupAffinity.pin(w.pgid, cpus);
            if (r.tasks() == 0) {
                LOG.info("group {} ({}) has no tasks left", w.pgid, w.name);
                return false;
            }
            pins++;
            LOG.info("pinned group {} ({}): {} tasks in {} processes to {} {}", w.pgid, w.name, r.tasks(),
                    r.processes(), what, cpus);
            return true;
        } catch (NativeCallException | IllegalArgumentException e) {
            errors++;
            LOG.warn("cannot pin group {} ({}): {}", w.pgid, w.name, e.getMessage());
            return true;
        }
    }

    private void periodic() {
        long now = System.nanoTime();
        if (now - lastCountersRead >= options.interval().toNanos()) {
            lastCountersRead = now;
            readCounters(now);
        }
        if (now - lastModelCheck >= MODEL_CHECK_NS) {
            lastModelCheck = now;
            lookForNewProfiles();
            ModelLoader.Result r = models.reload();
            r.problems().forEach(p -> LOG.warn("model: {}", p));
            if (r.changed() && r.current().isPresent()) {
                LOG.info("model: now {}", r.current().get().file());
                table.setModel(r.current().get().model());
                replan("a new model");
            }
        }
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

    private int restoreAll() {
        int n = 0;
        for (Workload w : workloads.values()) {
            if (w.cpus == null) {
                continue;
            }
            if (!options.dryRun()) {
                try {
                    GroupAffinity.pin(w.pgid, w.originalCpus);
                } catch (NativeCallException | IllegalArgumentException e) {
                    errors++;
                    LOG.warn("cannot restore group {}: {}", w.pgid, e.getMessage());
                    continue;
                }
            }
            w.cpus = null;
            n++;
        }
        placement = Placement.empty(replanner.topology());
        return n;
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
            if (w.cpus != null) {
                w.cpus.forEach(cpus::add);
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
