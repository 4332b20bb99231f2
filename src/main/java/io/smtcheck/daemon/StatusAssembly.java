// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.profiles.StoreHealth;
import io.smtcheck.sched.PairingInput;
import io.smtcheck.sched.Placement;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.Topology;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the status answer in two parts: what the daemon's state says, copied under its lock when
 * the state changes ({@link #snapshot}), and what is read when status is asked
 * ({@link #status}): uptime, the monitor, model and store lines, the configuration. Status thus
 * never waits for the daemon's loop, and the loop never waits for a slow store.
 */
final class StatusAssembly {
    /** The daemon's state as of its last change. */
    record Snapshot(List<DaemonStatus.Workload> workloads, List<DaemonStatus.LeftAlone> leftAlone,
            List<DaemonStatus.Core> cores, DaemonStatus.Counters counters, DaemonStatus.Latency eventToPinMs,
            DaemonStatus.Plan plan, String monitorHealth, LatencyHistogram eventToPin) {
    }

    private final DaemonOptions options;
    private final Monitor monitor;
    private final ProfileSource profiles;
    private final ModelLoader models;
    private final Replanner replanner;
    private final long startedAt = System.nanoTime();

    StatusAssembly(DaemonOptions options, Monitor monitor, ProfileSource profiles, ModelLoader models,
            Replanner replanner) {
        this.options = options;
        this.monitor = monitor;
        this.profiles = profiles;
        this.models = models;
        this.replanner = replanner;
    }

    /** Copies what status shows of the state; called under the daemon's lock. */
    Snapshot snapshot(DaemonState state, ScoreTable table, Learning learning) {
        List<DaemonStatus.Workload> workloads = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        Map<Integer, ManagedGroup> onCpu = new HashMap<>();
        for (ManagedGroup g : state.groups.values()) {
            if (g.pin.applied() != null) {
                g.pin.applied().forEach(cpu -> onCpu.put(cpu, g));
            }
        }
        for (ManagedGroup g : state.groups.values()) {
            workloads.add(workload(g, partner(g, onCpu), table));
            names.put(g.key(), g.name + " [" + g.pgid + "]");
        }
        List<DaemonStatus.LeftAlone> alone = state.leftAlone.values().stream()
                .map(a -> new DaemonStatus.LeftAlone(a.pgid(), a.name(), a.reason())).toList();
        PairingInput input = PairingInput.of(table);
        Placement placement = state.placement().retain(new HashSet<>(input.ids()));
        Topology topology = replanner.topology();
        List<DaemonStatus.Core> cores = new ArrayList<>();
        for (int c = 0; c < topology.coreCount(); c++) {
            List<String> on = placement.occupants(c).stream().map(k -> names.getOrDefault(k, k)).toList();
            cores.add(new DaemonStatus.Core(c, topology.cpus(c), on, placement.coreScore(c, input)));
        }
        DaemonStatus.Counters counters = new DaemonStatus.Counters(state.events, state.plans, state.pins, state.moves,
                state.errors(), state.errorsByKind(), state.pinFailures, null, state.changedByOthers,
                learning.discards().total(), learning.discards().byKind(), learning.unwritten());
        String monitorHealth = state.monitorFailingSince == null ? "ok"
                : "failing since " + state.monitorFailingSince + ": " + state.monitorError;
        return new Snapshot(List.copyOf(workloads), alone, List.copyOf(cores), counters,
                latency(state.sortedLatencies()), state.lastPlan, monitorHealth, state.histogram());
    }

    private ManagedGroup partner(ManagedGroup g, Map<Integer, ManagedGroup> onCpu) {
        return partner(g, g.pin.applied(), replanner.topology(), onCpu);
    }

    /**
     * The one other group on the sibling CPUs of {@code self}'s CPUs {@code on}, where every other
     * sibling is idle: the pair whose slowdown a window of {@code self} measures
     * (profiling.Attribution). Null when {@code self} is unpinned, alone, beside itself, or beside
     * two groups or more.
     */
    static <G> G partner(G self, List<Integer> on, Topology topology, Map<Integer, G> onCpu) {
        if (on == null || on.isEmpty()) {
            return null;
        }
        G partner = null;
        for (int mine : on) {
            for (int cpu : topology.cpus(topology.coreOf(mine))) {
                G other = cpu == mine ? null : onCpu.get(cpu);
                if (other == self || partner != null && other != null && other != partner) {
                    return null;
                }
                if (other != null) {
                    partner = other;
                }
            }
        }
        return partner;
    }

    private static DaemonStatus.Workload workload(ManagedGroup g, ManagedGroup partner, ScoreTable table) {
        Double predicted = null;
        Double observed = null;
        Double seconds = null;
        if (partner != null && table.contains(g.key()) && table.contains(partner.key())) {
            double p = table.predictedSlowdown(g.key(), partner.key());
            predicted = Double.isNaN(p) ? null : p;
            var seen = table.observations() == null ? null
                    : table.observations().of(table.workload(g.key()), table.workload(partner.key())).orElse(null);
            if (seen != null) {
                observed = seen.slowdown();
                seconds = seen.seconds();
            }
        }
        DaemonStatus.Ipc ipc = g.lastCounters == null ? null : new DaemonStatus.Ipc(g.lastCounters.cycles(),
                g.lastCounters.instructions(), Double.isNaN(g.ipc) ? null : g.ipc,
                Double.isNaN(g.onCpuSeconds) ? null : g.onCpuSeconds);
        boolean failing = g.pinError != null;
        return new DaemonStatus.Workload(g.pgid, g.jobId, g.name, g.workers, g.profile != null,
                g.slot >= 0 ? g.slot : null, orEmpty(g.pin.applied()), orEmpty(g.pin.wanted()),
                g.pinError, failing ? g.pinFailures : null, ipc, partner == null ? null : partner.pgid, predicted,
                observed, seconds, g.pinnedSince == null ? null : g.pinnedSince.toString(), orEmpty(g.originalCpus),
                g.allowedCpus, g.command);
    }

    private static List<Integer> orEmpty(List<Integer> cpus) {
        return cpus == null ? List.of() : cpus;
    }

    private static DaemonStatus.Latency latency(long[] sorted) {
        int n = sorted.length;
        if (n == 0) {
            return new DaemonStatus.Latency(0, null, null, null);
        }
        return new DaemonStatus.Latency(n, sorted[n / 2] / 1e6,
                sorted[(int) Math.min(n - 1, (long) Math.ceil(n * 0.99) - 1)] / 1e6, sorted[n - 1] / 1e6);
    }

    /** The whole answer: {@code state} with what is read now. Takes no lock of the daemon's. */
    DaemonStatus status(Snapshot state, DaemonStatus.Configuration configuration, List<DaemonStatus.Profiling> profiling) {
        StoreHealth health = profiles.health();
        DaemonStatus.Counters k = state.counters();
        Map<String, Long> errorsByKind = new LinkedHashMap<>(k.errorsByKind());
        errorsByKind.put("store", health.errors());
        DaemonStatus.Counters counters = new DaemonStatus.Counters(k.events(), k.plans(), k.pins(), k.moves(),
                k.errors() + health.errors(), errorsByKind, k.pinFailures(), monitor.profileRuleErrors().orElse(null),
                k.changedByOthers(), k.windowsDiscarded(), k.windowsDiscardedByKind(), k.observedUnwritten());
        String model = models.current().map(l -> l.file().toString()).orElse("none")
                + models.rejection().map(r -> " (newer file rejected: " + r + ")").orElse("");
        return new DaemonStatus(ProcessHandle.current().pid(), (System.nanoTime() - startedAt) / 1_000_000_000L,
                options.dryRun(), monitor.describe(), model,
                models.current().map(l -> l.model().format().label()).orElse(null), profiles.describe(), health.summary(),
                replanner.topology().toString(), replanner.minGain(), options.threshold(),
                options.interval().toMillis() / 1000.0, state.monitorHealth(), state.plan(), configuration,
                state.workloads(),
                state.leftAlone(), state.cores(), counters, state.eventToPinMs(), profiling);
    }
}
