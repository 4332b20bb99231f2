// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import io.smtcheck.daemon.Daemon;
import io.smtcheck.daemon.DaemonStatus;
import io.smtcheck.daemon.LatencyHistogram;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The daemon's metrics, read at each scrape from its status ({@link Daemon#status()}, which takes
 * no lock the daemon's loop holds): nothing is counted twice, and a scrape never waits for the
 * loop. Per-workload series carry the labels pgid and job and go with their workload, so the
 * number of series follows the number of managed groups. docs/metrics.md describes each metric.
 */
final class DaemonMetrics implements MultiCollector {
    /** The series that exist only while an in-situ profile runs (a family without series is not written). */
    static final Set<String> WHILE_PROFILING = Set.of("smtcheck_insitu_windows_done",
            "smtcheck_insitu_windows");
    /** The series that exist only once a pair was observed, which takes hardware counters. */
    static final Set<String> WHILE_OBSERVED = Set.of("smtcheck_workload_observed_slowdown_ratio");

    private final Daemon daemon;

    DaemonMetrics(Daemon daemon) {
        this.daemon = daemon;
    }

    @Override
    public MetricSnapshots collect() {
        DaemonStatus s = daemon.status();
        DaemonStatus.Counters k = s.counters();
        List<MetricSnapshot> m = new ArrayList<>();
        m.add(gauge("smtcheck_workloads", "Process groups the daemon manages", s.workloads().size()));
        m.add(gauge("smtcheck_groups_left_alone", "Process groups the daemon saw and does not manage",
                s.leftAlone().size()));
        m.add(gauge("smtcheck_pairs", "Cores the plan gives two threads",
                s.cores().stream().filter(c -> c.workloads().size() >= 2).count()));
        m.add(slowdowns(s.workloads()));
        m.add(observedSlowdowns(s.workloads()));
        m.add(counter("smtcheck_events", "Monitor events taken in", k.events()));
        m.add(counter("smtcheck_plans", "Plans made (each arrival, exit, new profile or model re-plans)", k.plans()));
        m.add(counter("smtcheck_plan_moves", "Planned groups a plan moved to other CPUs", k.moves()));
        m.add(counter("smtcheck_pins_applied", "Pins applied", k.pins()));
        m.add(counter("smtcheck_pins_failed", "Pin attempts that failed", k.pinFailures()));
        m.add(counter("smtcheck_affinity_changed_by_others",
                "Groups whose affinity someone else changed under the daemon", k.changedByOthers()));
        m.add(errors(k.errorsByKind()));
        m.add(byKind("smtcheck_observed_windows_discarded", "Counter windows of pairs discarded, by why",
                k.windowsDiscardedByKind()));
        m.add(counter("smtcheck_observed_samples_unwritten", "Observed samples the profile store did not take",
                k.observedUnwritten()));
        m.add(eventToPin(daemon.eventToPinHistogram()));
        boolean storeUp = s.storeHealth().startsWith("ok");
        m.add(gauge("smtcheck_store_up", "1 while the profile store's last operation succeeded, else 0",
                storeUp ? 1 : 0));
        m.add(counter("smtcheck_store_failures", "Profile store operations that failed",
                k.errorsByKind().getOrDefault("store", 0L)));
        m.add(info("smtcheck_monitor", "Which monitor reports groups", "kind", monitorKind(s.monitor())));
        if (s.modelFormat() != null) {
            m.add(info("smtcheck_model", "The format of the prediction model in use", "format", s.modelFormat()));
        }
        m.addAll(profiling(s.profiling() == null ? List.of() : s.profiling()));
        return new MetricSnapshots(m);
    }

    /** The first word of the monitor's line: kernel or userspace. */
    static String monitorKind(String monitor) {
        int space = monitor.indexOf(' ');
        return space < 0 ? monitor : monitor.substring(0, space);
    }

    private static MetricSnapshot slowdowns(List<DaemonStatus.Workload> workloads) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name("smtcheck_workload_predicted_slowdown_ratio")
                .unit(Unit.RATIO).help("The model's predicted slowdown of a workload beside its partner on its core"
                        + " (0 alone on one)");
        for (DaemonStatus.Workload w : workloads) {
            // Pinned with no partner: its sibling is idle, which slows it by nothing.
            Double slowdown = w.predictedSlowdown() != null ? w.predictedSlowdown()
                    : w.partner() == null && w.cpus().size() == 1 ? Double.valueOf(0) : null;
            if (slowdown != null) {
                b.dataPoint(GaugeDataPointSnapshot.builder().labels(group(w.pgid(), w.job())).value(slowdown).build());
            }
        }
        return b.build();
    }

    private static MetricSnapshot observedSlowdowns(List<DaemonStatus.Workload> workloads) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name("smtcheck_workload_observed_slowdown_ratio")
                .unit(Unit.RATIO).help("A workload's slowdown beside its partner's job as observed here (time-weighted"
                        + " mean)");
        for (DaemonStatus.Workload w : workloads) {
            if (w.observedSlowdown() != null) {
                b.dataPoint(GaugeDataPointSnapshot.builder().labels(group(w.pgid(), w.job()))
                        .value(w.observedSlowdown()).build());
            }
        }
        return b.build();
    }

    private static MetricSnapshot errors(Map<String, Long> byKind) {
        return byKind("smtcheck_errors", "Failures, by kind", byKind);
    }

    private static MetricSnapshot byKind(String name, String help, Map<String, Long> byKind) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        byKind.forEach((kind, n) -> b.dataPoint(CounterDataPointSnapshot.builder().labels(Labels.of("kind", kind))
                .value(n).build()));
        return b.build();
    }

    private static MetricSnapshot eventToPin(LatencyHistogram h) {
        double[] bounds = new double[h.upperBoundsSeconds().size() + 1];
        for (int i = 0; i < bounds.length - 1; i++) {
            bounds[i] = h.upperBoundsSeconds().get(i);
        }
        bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
        long[] counts = h.counts().stream().mapToLong(Long::longValue).toArray();
        return HistogramSnapshot.builder().name("smtcheck_event_to_pin_latency_seconds").unit(Unit.SECONDS)
                .help("From a monitor's report of a new group to its pins applied")
                .dataPoint(HistogramDataPointSnapshot.builder()
                        .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts)).sum(h.sumSeconds())
                        .build())
                .build();
    }

    private static List<MetricSnapshot> profiling(List<DaemonStatus.Profiling> running) {
        GaugeSnapshot.Builder done = GaugeSnapshot.builder().name("smtcheck_insitu_windows_done")
                .help("Windows an in-situ profile has measured");
        GaugeSnapshot.Builder total = GaugeSnapshot.builder().name("smtcheck_insitu_windows")
                .help("Windows an in-situ profile measures in all");
        for (DaemonStatus.Profiling p : running) {
            Labels labels = group(p.pgid(), p.job());
            done.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(p.done()).build());
            total.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(p.total()).build());
        }
        return List.of(gauge("smtcheck_insitu_profiles", "In-situ profiles that run now", running.size()),
                done.build(), total.build());
    }

    private static Labels group(int pgid, int job) {
        return Labels.of("pgid", Integer.toString(pgid), "job", Integer.toString(job));
    }

    private static MetricSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help)
                .dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    private static MetricSnapshot counter(String name, String help, long value) {
        return CounterSnapshot.builder().name(name).help(help)
                .dataPoint(CounterDataPointSnapshot.builder().value(value).build()).build();
    }

    private static MetricSnapshot info(String name, String help, String label, String value) {
        return InfoSnapshot.builder().name(name).help(help)
                .dataPoint(InfoDataPointSnapshot.builder().labels(Labels.of(label, value)).build()).build();
    }
}
