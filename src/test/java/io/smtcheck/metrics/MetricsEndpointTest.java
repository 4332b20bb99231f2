// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.daemon.Daemon;
import io.smtcheck.daemon.DaemonOptions;
import io.smtcheck.daemon.DaemonRuntime;
import io.smtcheck.daemon.DaemonStatus;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The endpoint scraped over HTTP from a daemon in this JVM (userspace monitor, embedded store with
 * the sample profiles, real process groups): each value is the daemon's status's, series of a
 * group that left are gone, counters only grow, and a scrape does not wait for the daemon's lock.
 */
@Timeout(120)
class MetricsEndpointTest {
    @TempDir
    Path dir;

    private DaemonOptions options() {
        return new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true, dir.resolve("run/control.sock"), null,
                dir.resolve("run"), true);
    }

    @Test
    void exposesWhatStatusSays() throws Exception {
        LaunchRegistry launched = new LaunchRegistry(dir.resolve("run/launched"));
        try (MetricsServer metrics = MetricsServer.start(InetAddress.getLoopbackAddress(), 0);
                DaemonRuntime runtime = DaemonRuntime.start(options(), Topology.parse("0,1"), null,
                        dir.resolve("data"), Path.of(System.getProperty("smtcheck.test.models", "trained_model")),
                        true)) {
            metrics.serve(runtime.daemon());
            Daemon daemon = runtime.daemon();
            Thread loop = new Thread(runtime::run, "daemon-under-test");
            loop.start();
            try (TestGroup dgemm = new TestGroup(1, 0, false); TestGroup stream = new TestGroup(1, 0, false)) {
                long now = Instant.now().getEpochSecond();
                launched.add(new LaunchRegistry.Entry(dgemm.pgid(), 101, 1, "testproc", now, startTicks(dgemm)));
                launched.add(new LaunchRegistry.Entry(stream.pgid(), 102, 1, "testproc", now, startTicks(stream)));
                await("both groups pinned side by side", () -> daemon.status().workloads().size() == 2
                        && daemon.status().workloads().stream().allMatch(w -> !w.cpus().isEmpty()));

                Consistent first = consistent(daemon, metrics.port());
                DaemonStatus s = first.status();
                Scrape m = first.scrape();
                assertEquals(2.0, m.get("smtcheck_workloads"), m.text());
                assertEquals(1.0, m.get("smtcheck_pairs"), "one core, two threads: " + s.cores());
                for (DaemonStatus.Workload w : s.workloads()) {
                    assertNotNull(w.predictedSlowdown(), "both profiles are known: " + w);
                    assertEquals(w.predictedSlowdown(), m.get("smtcheck_workload_predicted_slowdown_ratio",
                            "pgid", Integer.toString(w.pgid()), "job", Integer.toString(w.job())), 1e-12);
                    // Present exactly when status shows it (observed only with hardware counters).
                    assertEquals(w.observedSlowdown(), m.get("smtcheck_workload_observed_slowdown_ratio",
                            "pgid", Integer.toString(w.pgid()), "job", Integer.toString(w.job())), w.toString());
                }
                DaemonStatus.Counters k = s.counters();
                assertEquals((double) k.events(), m.get("smtcheck_events_total"));
                assertEquals((double) k.plans(), m.get("smtcheck_plans_total"));
                assertEquals((double) k.moves(), m.get("smtcheck_plan_moves_total"));
                assertTrue(k.pins() >= 2, k.toString());
                assertEquals((double) k.pins(), m.get("smtcheck_pins_applied_total"));
                assertEquals((double) k.pinFailures(), m.get("smtcheck_pins_failed_total"));
                assertEquals((double) k.changedByOthers(), m.get("smtcheck_affinity_changed_by_others_total"));
                assertEquals(6, k.errorsByKind().size(), k.errorsByKind().toString());
                for (Map.Entry<String, Long> e : k.errorsByKind().entrySet()) {
                    assertEquals(e.getValue().doubleValue(), m.get("smtcheck_errors_total", "kind", e.getKey()), e.getKey());
                }
                assertEquals(6, k.windowsDiscardedByKind().size(), k.windowsDiscardedByKind().toString());
                for (Map.Entry<String, Long> e : k.windowsDiscardedByKind().entrySet()) {
                    assertEquals(e.getValue().doubleValue(),
                            m.get("smtcheck_observed_windows_discarded_total", "kind", e.getKey()), e.getKey());
                }
                assertEquals(k.windowsDiscarded(),
                        k.windowsDiscardedByKind().values().stream().mapToLong(Long::longValue).sum());
                assertEquals((double) k.observedUnwritten(), m.get("smtcheck_observed_samples_unwritten_total"));
                assertEquals(1.0, m.get("smtcheck_store_up"), s.storeHealth());
                assertEquals(k.errorsByKind().get("store").doubleValue(), m.get("smtcheck_store_failures_total"));
                assertEquals(1.0, m.get("smtcheck_monitor_info", "kind", "userspace"), s.monitor());
                assertEquals(1.0, m.get("smtcheck_model_info", "format", s.modelFormat()), m.text());
                assertEquals(0.0, m.get("smtcheck_insitu_profiles"));

                // Each arrival measured is in the histogram: at least the two, each in some bucket.
                double count = m.get("smtcheck_event_to_pin_latency_seconds_count");
                assertTrue(count >= 2 && count >= s.eventToPinMs().samples(), m.text());
                assertEquals(count, m.get("smtcheck_event_to_pin_latency_seconds_bucket", "le", "+Inf"));
                assertTrue(m.get("smtcheck_event_to_pin_latency_seconds_sum") > 0, m.text());
                assertTrue(m.text().contains("# UNIT smtcheck_event_to_pin_latency_seconds seconds"), m.text());

                // The dashboard shows only what is exposed.
                Set<String> shown = Dashboard.read().metricNames();
                assertTrue(shown.size() >= 15, shown.toString());
                Set<String> missing = new TreeSet<>(shown);
                missing.removeAll(m.seriesNames());
                missing.removeAll(DaemonMetrics.WHILE_PROFILING);
                missing.removeAll(DaemonMetrics.WHILE_OBSERVED);
                assertEquals(Set.of(), missing, "the dashboard's metrics that the endpoint does not expose");

                // The daemon's lock held here: a scrape from another thread still answers.
                synchronized (daemon) {
                    assertEquals(2.0, Scrape.of(metrics.port()).get("smtcheck_workloads"));
                }

                // One group leaves: its series go, the other's slowdown is that of a thread alone.
                int gone = stream.pgid();
                stream.close();
                await("the exit", () -> daemon.status().workloads().size() == 1);
                Consistent second = consistent(daemon, metrics.port());
                Scrape after = second.scrape();
                assertEquals(1.0, after.get("smtcheck_workloads"));
                assertEquals(0.0, after.get("smtcheck_pairs"));
                assertTrue(after.samples().keySet().stream().noneMatch(key -> key.contains("pgid=\"" + gone + "\"")),
                        after.text());
                assertEquals(0.0, after.get("smtcheck_workload_predicted_slowdown_ratio",
                        "pgid", Integer.toString(dgemm.pgid()), "job", "101"));
                for (Map.Entry<String, Double> e : m.samples().entrySet()) {
                    if (e.getKey().contains("_total") || e.getKey().contains("_count")) {
                        assertTrue(after.samples().get(e.getKey()) >= e.getValue(), e.getKey() + " went down");
                    }
                }
                assertTrue(after.get("smtcheck_plans_total") > m.get("smtcheck_plans_total"), "the exit re-planned");
            } finally {
                runtime.close();
                loop.join(10_000);
            }
        }
    }

    /** A status and a scrape between which the daemon's state did not change (the loop runs meanwhile). */
    private record Consistent(DaemonStatus status, Scrape scrape) {
    }

    private static Consistent consistent(Daemon daemon, int port) throws Exception {
        for (int tries = 0; tries < 50; tries++) {
            DaemonStatus before = daemon.status();
            Scrape scrape = Scrape.of(port);
            DaemonStatus after = daemon.status();
            if (before.counters().equals(after.counters()) && before.workloads().stream().map(w -> w.cpus())
                    .toList().equals(after.workloads().stream().map(w -> w.cpus()).toList())
                    && before.eventToPinMs().equals(after.eventToPinMs())) {
                return new Consistent(after, scrape);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the daemon's state kept changing during scrapes");
    }

    private static long startTicks(TestGroup g) {
        return new ProcessTable().startTicks(g.pgid()).orElseThrow();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
