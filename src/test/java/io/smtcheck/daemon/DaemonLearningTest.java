// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.testModels;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.Profile;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon observes the pair it placed on one core, over counts the test makes up (this machine
 * has no SMT and no PMU; no test depends on a real sibling slowdown): status shows each side's
 * predicted and observed slowdown, a pair's run goes to the store when it ends, and counts that
 * stop are counted as discarded windows. A group of two workers on the two CPUs of one core is
 * observed beside itself.
 */
@Timeout(120)
class DaemonLearningTest {
    @TempDir
    Path dir;

    static final class Profiles extends DaemonFaultsTest.SampleProfiles {
        final List<ObservedSample> observed = new CopyOnWriteArrayList<>();

        @Override
        public void storeObserved(List<ObservedSample> samples) {
            observed.addAll(samples);
        }
    }

    /** A daemon on one core of two CPUs, learning every 100 ms. */
    private Daemon daemon(DaemonFaultsTest.ScriptedMonitor monitor, Profiles profiles) throws Exception {
        ModelLoader models = new ModelLoader(testModels());
        models.reload();
        DaemonOptions options = new DaemonOptions(1, Duration.ofMillis(100), false, 0.02, true,
                dir.resolve("run/control.sock"), null, dir.resolve("run"), true);
        return new Daemon(options, monitor, profiles, models, new Replanner(Topology.parse("0,1"), 0.02));
    }

    @Test
    void statusShowsThePairsPredictedAndObservedSlowdownAndItsRunIsStored() throws Exception {
        Profiles profiles = new Profiles();
        Profile a = profiles.all().get(0);
        Profile b = profiles.all().get(1);
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        long start = System.nanoTime();
        java.util.Map<Integer, Double> speed = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Map<Integer, Double> ipcAlone = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.Set<Integer> stopped = java.util.concurrent.ConcurrentHashMap.newKeySet();
        // Cycles at 1 GHz; instructions at the profile's IPC alone times the side's speed beside the other.
        monitor.counted = pgid -> {
            if (stopped.contains(pgid) || !speed.containsKey(pgid)) {
                return null;
            }
            long cycles = System.nanoTime() - start;
            return new Monitor.Counters(cycles, (long) (cycles * ipcAlone.get(pgid) * speed.get(pgid)), true);
        };
        Daemon d = daemon(monitor, profiles);
        Thread loop = new Thread(d::run);
        loop.start();
        try (TestGroup ga = new TestGroup(1, 0, false); TestGroup gb = new TestGroup(1, 0, false)) {
            speed.put(ga.pgid(), 0.6);
            speed.put(gb.pgid(), 0.9);
            ipcAlone.put(ga.pgid(), a.singleIpc());
            ipcAlone.put(gb.pgid(), b.singleIpc());
            monitor.report(new Monitor.Detected(ga.pgid(), a.jobId(), 1, 5, a.name()),
                    new Monitor.Detected(gb.pgid(), b.jobId(), 1, 5, b.name()));
            await("both sides are observed for a second", 60, () -> {
                DaemonStatus.Workload x = workload(d.status(), ga.pgid());
                DaemonStatus.Workload y = workload(d.status(), gb.pgid());
                return x != null && y != null && x.observedSeconds() != null && x.observedSeconds() > 1
                        && y.observedSeconds() != null;
            });
            DaemonStatus.Workload x = workload(d.status(), ga.pgid());
            DaemonStatus.Workload y = workload(d.status(), gb.pgid());
            assertEquals(gb.pgid(), x.partner());
            assertEquals(ga.pgid(), y.partner());
            assertEquals(0.4, x.observedSlowdown(), 0.01);
            assertEquals(0.1, y.observedSlowdown(), 0.01);
            assertTrue(x.predictedSlowdown() != null && y.predictedSlowdown() != null, x + " " + y);

            stopped.add(gb.pgid()); // its counts stop: the window is discarded, the pair's run ends and is stored
            await("the discarded window is counted", 30, () -> d.status().counters().windowsDiscarded() >= 1);
            DaemonStatus.Counters k = d.status().counters();
            assertTrue(k.windowsDiscardedByKind().get("stopped") >= 1, k.toString());
            assertEquals(k.windowsDiscarded(), k.windowsDiscardedByKind().values().stream().mapToLong(Long::longValue)
                    .sum(), k.toString());
            await("the pair's run is stored", 30, () -> !profiles.observed.isEmpty());
            ObservedSample s = profiles.observed.get(0);
            boolean aFirst = s.jobA() == a.jobId();
            assertEquals(a.jobId() + "," + b.jobId(), aFirst ? s.jobA() + "," + s.jobB() : s.jobB() + "," + s.jobA());
            assertEquals(0.4, aFirst ? s.slowdownA() : s.slowdownB(), 0.01);
            assertEquals(0.1, aFirst ? s.slowdownB() : s.slowdownA(), 0.01);
            assertTrue(s.seconds() > 1, s.toString());
        } finally {
            d.stop();
            loop.join();
        }
    }

    @Test
    void aGroupOfTwoWorkersOnOneCoreIsObservedBesideItself() throws Exception {
        Profiles profiles = new Profiles();
        Profile a = profiles.all().get(0);
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        long start = System.nanoTime();
        java.util.Set<Integer> stopped = java.util.concurrent.ConcurrentHashMap.newKeySet();
        // Its two workers each at 0.7 of alone, beside each other: the group's IPC is the profile's times 0.7.
        monitor.counted = pgid -> {
            if (stopped.contains(pgid)) {
                return null;
            }
            long cycles = 2 * (System.nanoTime() - start);
            return new Monitor.Counters(cycles, (long) (cycles * a.singleIpc() * 0.7), true);
        };
        Daemon d = daemon(monitor, profiles);
        Thread loop = new Thread(d::run);
        loop.start();
        try (TestGroup g = new TestGroup(2, 0, false)) {
            monitor.report(new Monitor.Detected(g.pgid(), a.jobId(), 2, 5, a.name()));
            await("its pin on both CPUs", 60, () -> {
                DaemonStatus.Workload w = workload(d.status(), g.pgid());
                return w != null && w.cpus().equals(List.of(0, 1));
            });
            Thread.sleep(1500);
            stopped.add(g.pgid()); // its counts stop: its run beside itself ends and is stored
            await("its run is stored", 30, () -> !profiles.observed.isEmpty());
            ObservedSample s = profiles.observed.get(0);
            assertEquals(a.jobId() + "," + a.jobId(), s.jobA() + "," + s.jobB());
            assertEquals(0.3, s.slowdownA(), 0.01);
            assertEquals(0.3, s.slowdownB(), 0.01);
            assertTrue(s.seconds() > 0.5, s.toString());
        } finally {
            d.stop();
            loop.join();
        }
    }
}
