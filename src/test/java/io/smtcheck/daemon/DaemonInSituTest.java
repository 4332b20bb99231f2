// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.cpusOfGroup;
import static io.smtcheck.daemon.DaemonTests.testModels;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.control.ControlServer;
import io.smtcheck.model.Measurement;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.Profile;
import io.smtcheck.os.Signals;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.profiling.InSituProfiler;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's in-situ profiles: the control socket's {@code profile} and its refusals, a
 * profile run with real injectors and pins on this machine's two CPUs, over counters the test
 * gives (this machine has none in hardware; no figure is checked, only where things ran), and the
 * plans made while that core is lent.
 */
@Timeout(180)
class DaemonInSituTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Short windows at full intensity only: the schedule, not the figures, is under test. */
    private static final InSituProfiler.Settings SHORT = new InSituProfiler.Settings(0.05, 0.2, List.of(1.0), 0.5, 3);

    @TempDir
    Path dir;

    /** Long enough a profile (some 12 s, 6 before the move-in) for groups to come and go while it runs. */
    private static final InSituProfiler.Settings LONGER = new InSituProfiler.Settings(0.05, 1.5, List.of(1.0), 0.5, 3);

    /**
     * One injector of each type, both ready at once: those of the last-level cache and of memory
     * bandwidth first fill buffers of hundreds of MiB to GiB, which on a loaded machine took most
     * of a profile's time, and the schedule under test is the same for every injector.
     */
    private static final Set<String> RESOURCES = Set.of("int_alu", "l1d_capacity");

    /** Sample profiles for every job but 500, which has none; what is stored is kept. */
    static final class Profiles extends DaemonFaultsTest.SampleProfiles {
        final List<Profile> stored = new CopyOnWriteArrayList<>();

        @Override
        public Optional<Profile> byJob(int jobId) {
            return jobId == 500 ? Optional.empty() : super.byJob(jobId);
        }

        @Override
        public void store(Profile profile) {
            stored.add(profile);
        }
    }

    private Daemon daemon(DaemonFaultsTest.ScriptedMonitor monitor, Profiles profiles) {
        return daemon(monitor, profiles, SHORT);
    }

    private Daemon daemon(DaemonFaultsTest.ScriptedMonitor monitor, Profiles profiles, InSituProfiler.Settings settings) {
        ModelLoader models = new ModelLoader(testModels());
        models.reload();
        DaemonOptions options = new DaemonOptions(1, Duration.ofMillis(100), false, 0.02, true,
                dir.resolve("run/control.sock"), null, dir.resolve("run"), true);
        return new Daemon(options, monitor, profiles, models, new Replanner(Topology.parse("0,1"), 0.02), settings,
                RESOURCES);
    }

    private static JsonNode profile(Daemon d, int pgid) throws Exception {
        return d.controlCommands().get("profile").handler().run(JSON.createObjectNode().put("command", "profile")
                .put("pgid", pgid), new ControlServer.Peer(1, 0, 0));
    }

    @Test
    void refusesInOneLineAGroupItDoesNotManageOrOneWithoutHardwareCounters() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        monitor.counted = pgid -> new Monitor.Counters(5_000_000, 0, false); // software mode: on-CPU time
        Daemon d = daemon(monitor, new Profiles());
        Thread loop = new Thread(d::run);
        loop.start();
        try (TestGroup g = new TestGroup(1, 0, false); TestGroup two = new TestGroup(2, 0, false)) {
            assertEquals("group 999999 is not managed by the daemon (see smtcheck status)",
                    assertThrows(IllegalArgumentException.class, () -> profile(d, 999999)).getMessage());
            monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, "dgemm"));
            await("the group is managed", () -> workload(d.status(), g.pgid()) != null);
            assertEquals("group " + g.pgid() + " has no hardware counters (scripted): in-situ profiling reads its"
                    + " instructions; measure the job with smtcheck profile --job 101 --name NAME -- CMD instead",
                    assertThrows(IllegalArgumentException.class, () -> profile(d, g.pgid())).getMessage());

            monitor.counted = pgid -> new Monitor.Counters(1000, 1000, true);
            monitor.report(new Monitor.Detected(two.pgid(), 102, 2, 5, "stream"));
            await("the second group is managed", () -> workload(d.status(), two.pgid()) != null);
            assertEquals("group " + two.pgid() + " has 2 workers: in-situ profiling measures a job of one hardware"
                    + " thread; measure it with smtcheck profile -- CMD instead",
                    assertThrows(IllegalArgumentException.class, () -> profile(d, two.pgid())).getMessage());
            assertEquals(List.of(), d.status().profiling());
        } finally {
            d.stop();
            loop.join();
        }
    }

    @Test
    void aGroupWithoutAProfileIsProfiledOnTheBorrowedCoreAndPutBack() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        long start = System.nanoTime();
        // Instructions at a steady 1e9 per second, cycles at half that: "hardware" counts the test makes up.
        monitor.counted = pgid -> {
            long n = System.nanoTime() - start;
            return new Monitor.Counters(n / 2, n, true);
        };
        Profiles profiles = new Profiles();
        Daemon d = daemon(monitor, profiles);
        Thread loop = new Thread(d::run);
        loop.start();
        try (TestGroup g = new TestGroup(1, 0, false)) {
            monitor.report(new Monitor.Detected(g.pgid(), 500, 1, 5, "newjob"));
            await("the in-situ profile starts", () -> !d.status().profiling().isEmpty());
            DaemonStatus.Profiling p = d.status().profiling().get(0);
            assertEquals(g.pgid(), p.pgid());
            assertEquals(500, p.job());
            assertEquals(List.of(0, 1), p.cpus());
            assertEquals("job 500 is being profiled already",
                    assertThrows(IllegalArgumentException.class, () -> profile(d, g.pgid())).getMessage());
            await("the group is moved onto the borrowed CPU", 60, () -> cpusOfGroup(g).equals(Set.of("0")));
            await("the profile is written", 120, () -> !profiles.stored.isEmpty());
            Profile written = profiles.stored.get(0);
            assertEquals(500, written.jobId());
            assertEquals(Measurement.Progress.IN_SITU, written.measured().progress());
            assertEquals(List.of(0, 1), written.measured().cpus());
            assertEquals(2.0, written.singleIpc(), 0.05);
            await("the profile no longer runs", () -> d.status().profiling().isEmpty());
            List<Integer> planned = workload(d.status(), g.pgid()).cpus();
            assertEquals(1, planned.size(), "one worker, one CPU: " + planned);
            await("the group is back where the plan has it", () -> cpusOfGroup(g).equals(Set.of(planned.get(0) + "")));
            assertFalse(java.nio.file.Files.exists(dir.resolve("run/insitu/job-500.json")), "the journal is dropped");
        } finally {
            d.stop();
            loop.join();
        }
        assertTrue(profiles.stored.size() == 1, "profiled once: " + profiles.stored.size());
    }

    /** Counters at a steady 1e9 instructions per second and half as many cycles, for every group. */
    private static DaemonFaultsTest.ScriptedMonitor countingMonitor() {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        long start = System.nanoTime();
        monitor.counted = pgid -> {
            long n = System.nanoTime() - start;
            return new Monitor.Counters(n / 2, n, true);
        };
        return monitor;
    }

    /** Starts group {@code g}'s profile on the only core, 0,1; returns once it runs. */
    private static void profileStarts(Daemon d, DaemonFaultsTest.ScriptedMonitor monitor, TestGroup g)
            throws InterruptedException {
        monitor.report(new Monitor.Detected(g.pgid(), 500, 1, 5, "newjob"));
        await("the in-situ profile starts", () -> !d.status().profiling().isEmpty());
        assertEquals(List.of(0, 1), d.status().profiling().get(0).cpus());
    }

    /** Fails unless a profile still runs: what was checked before happened while the core was lent. */
    private static void stillProfiling(Daemon d, String what) {
        assertFalse(d.status().profiling().isEmpty(), "the profile ended before " + what + " was checked;"
                + " the windows are too short for this machine");
    }

    @Test
    @Timeout(240)
    void plansGoOnWhileTheCoreIsLentAndTheProfiledGroupIsPlacedWhenItEnds() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = countingMonitor();
        Profiles profiles = new Profiles();
        Daemon d = daemon(monitor, profiles, LONGER);
        Thread loop = new Thread(d::run);
        loop.start();
        try (TestGroup p = new TestGroup(1, 0, false); TestGroup q = new TestGroup(1, 0, false);
                TestGroup r = new TestGroup(1, 0, false)) {
            profileStarts(d, monitor, p);
            long plans = d.status().counters().plans();
            monitor.report(new Monitor.Detected(q.pgid(), 101, 1, 5, "dgemm"));
            String arrived = "group " + q.pgid() + " (dgemm) arrived";
            await("the arrival planned at once", () -> d.status().plan().why().equals(arrived));
            assertTrue(d.status().counters().plans() > plans, "a plan was made, not owed");
            DaemonStatus.Workload w = workload(d.status(), q.pgid());
            assertEquals(List.of(), w.wantedCpus(), "the only core is lent: no CPU for it");
            assertEquals(List.of(), w.cpus());
            DaemonStatus.Plan plan = d.status().plan();
            assertEquals(0, plan.score(), 1e-9, "nothing placed, nothing scored");
            assertEquals(0, plan.unpinnedScore(), 1e-9, "compared on the same (no) CPUs");
            assertEquals(Set.of("0-1"), cpusOfGroup(q), "never pinned onto the lent core");

            monitor.report(new Monitor.Detected(r.pgid(), 102, 1, 5, "stream"));
            await("the second arrival planned", () -> workload(d.status(), r.pgid()) != null);
            monitor.report(new Monitor.Exited(r.pgid()));
            await("the exit re-planned at once", () -> d.status().plan().why().equals("a group left"));
            assertEquals(null, workload(d.status(), r.pgid()));
            assertEquals(Set.of("0-1"), cpusOfGroup(r), "never pinned onto the lent core");
            stillProfiling(d, "the arrival and the exit");
            DaemonStatus.Profiling lent = d.status().profiling().get(0);
            assertEquals(p.pgid(), lent.pgid());
            assertEquals(List.of(0, 1), lent.cpus(), "status shows the borrowed core");

            // Until the profile ends, the arrival stays on its own affinity: read first, then
            // whether the profile still ran (its end comes before the plan that places the arrival).
            for (;;) {
                Set<String> now = cpusOfGroup(q);
                if (d.status().profiling().isEmpty()) {
                    break;
                }
                assertEquals(Set.of("0-1"), now, "pinned while the core was lent");
                Thread.sleep(50);
            }
            await("the profile written", () -> profiles.stored.size() == 1);
            await("both placed on the core given back", () -> {
                DaemonStatus s = d.status();
                return workload(s, p.pgid()).cpus().size() == 1 && workload(s, q.pgid()).cpus().size() == 1;
            });
            DaemonStatus s = d.status();
            List<Integer> onP = workload(s, p.pgid()).cpus();
            List<Integer> onQ = workload(s, q.pgid()).cpus();
            assertEquals(Set.of(0, 1), Set.of(onP.get(0), onQ.get(0)), "one CPU each: " + onP + ", " + onQ);
            await("the pins applied", () -> cpusOfGroup(p).equals(Set.of(onP.get(0) + ""))
                    && cpusOfGroup(q).equals(Set.of(onQ.get(0) + "")));
            assertTrue(s.plan().score() > 0 && s.plan().unpinnedScore() > 0, "scored again: " + s.plan());
            assertEquals(0, s.counters().changedByOthers(), "the borrowed CPU was no foreign change");
        } finally {
            d.stop();
            loop.join();
        }
    }

    @Test
    @Timeout(240)
    void aSlurmJobWhoseAllocationIsOnTheLentCoreWaitsForItAndIsThenPlacedWithinIt() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = countingMonitor();
        Daemon d = daemon(monitor, new Profiles(), LONGER);
        Thread loop = new Thread(d::run);
        loop.start();
        List<Integer> started = new ArrayList<>();
        try (TestGroup p = new TestGroup(1, 0, false)) {
            profileStarts(d, monitor, p);
            int job = DaemonSlurmTest.job(started, 7003, "dgemm", 1);
            DaemonOwnershipTest.taskset("1", job); // as task/affinity binds a job's task to its allocation
            monitor.report(new Monitor.Detected(job, 7003, 1, 5, "dgemm", "dgemm"));
            await("the job planned", () -> d.status().plan().why().equals("group " + job + " (dgemm) arrived"));
            DaemonStatus.Workload w = workload(d.status(), job);
            assertEquals(List.of(), w.wantedCpus(), "its one CPU is on the lent core: pinned nowhere new");
            assertEquals(Set.of("1"), cpusOfGroup(job), "its own affinity, untouched");
            stillProfiling(d, "the job's plan");

            await("the profile ends", 200, () -> d.status().profiling().isEmpty());
            await("the job placed within its allocation", () -> workload(d.status(), job).cpus().equals(List.of(1)));
            assertEquals(Set.of("1"), cpusOfGroup(job));
            // The only core holds a CPU of an allocation, so the profiled group has no place of its
            // own: it goes back to its original affinity, off the borrowed CPU.
            await("the profiled group off the borrowed CPU", () -> workload(d.status(), p.pgid()).cpus().isEmpty()
                    && cpusOfGroup(p).equals(Set.of("0-1")));
            assertEquals(List.of(), workload(d.status(), p.pgid()).wantedCpus());
        } finally {
            d.stop();
            loop.join();
            for (int pgid : started) {
                GroupLauncher.signal(pgid, Signals.SIGKILL);
                GroupLauncher.waitFor(pgid);
            }
        }
    }

    /** This JVM's children that are injectors, alive or not yet reaped, from /proc/PID/stat (comm and ppid). */
    private static List<Long> injectorChildren() {
        long self = ProcessHandle.current().pid();
        List<Long> out = new ArrayList<>();
        try (var dirs = java.nio.file.Files.list(Path.of("/proc"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = java.nio.file.Files.readString(d.resolve("stat"));
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (comm.equals("smtcheck-inject") && Long.parseLong(rest[1]) == self) {
                        out.add(Long.parseLong(name));
                    }
                } catch (java.io.IOException | RuntimeException e) {
                    // gone between the listing and the read
                }
            }
        } catch (java.io.IOException e) {
            throw new AssertionError("/proc cannot be listed: " + e.getMessage());
        }
        return out;
    }

    @Test
    @Timeout(240)
    void aGroupKilledDuringTheInjectorsWindowsEndsItsProfileAtOnceAndTheCoreIsPlannedAgain() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = countingMonitor();
        Daemon d = daemon(monitor, new Profiles(), LONGER);
        Thread loop = new Thread(d::run);
        loop.start();
        TestGroup p = new TestGroup(1, 0, false);
        try (TestGroup q = new TestGroup(1, 0, false); TestGroup next = new TestGroup(1, 0, false)) {
            profileStarts(d, monitor, p);
            monitor.report(new Monitor.Detected(q.pgid(), 101, 1, 5, "dgemm"));
            await("the arrival planned", () -> workload(d.status(), q.pgid()) != null);
            assertEquals(List.of(), workload(d.status(), q.pgid()).cpus(), "the only core is lent");
            await("an injector runs, in the injectors' windows before the move-in", () -> {
                List<DaemonStatus.Profiling> now = d.status().profiling();
                return !now.isEmpty() && now.get(0).done() >= 1 && (now.get(0).current().startsWith("alone/")
                        || now.get(0).current().startsWith("pair/")) && !injectorChildren().isEmpty();
            });

            GroupLauncher.signal(p.pgid(), Signals.SIGKILL);
            p.close();
            long killed = System.nanoTime();
            monitor.report(new Monitor.Exited(p.pgid()));
            await("the profile ends", () -> d.status().profiling().isEmpty());
            double seconds = (System.nanoTime() - killed) / 1e9;
            // The injectors' windows left would take some 5 s and more (3 of them at 1.55 s).
            assertTrue(seconds < 3, "ended " + seconds + " s after the exit was reported");
            await("the injectors stopped and reaped", 10, () -> injectorChildren().isEmpty());
            Path journal = dir.resolve("run/insitu/job-500.json");
            assertTrue(java.nio.file.Files.readString(journal).contains("alone/"), "the journal keeps the windows");

            await("the other group placed on the core given back", () -> workload(d.status(), q.pgid()).cpus().size() == 1);
            List<Integer> onQ = workload(d.status(), q.pgid()).cpus();
            await("its pin applied", () -> cpusOfGroup(q).equals(Set.of(onQ.get(0) + "")));
            assertEquals(null, workload(d.status(), p.pgid()));

            // The job's next group is profiled again, from its journal, once the core is free.
            monitor.report(new Monitor.Exited(q.pgid()));
            await("the other group let go", () -> workload(d.status(), q.pgid()) == null);
            monitor.report(new Monitor.Detected(next.pgid(), 500, 1, 5, "newjob"));
            await("the job's next group profiled", () -> !d.status().profiling().isEmpty()
                    && d.status().profiling().get(0).pgid() == next.pgid());
        } finally {
            d.stop();
            loop.join();
            p.close();
        }
        assertEquals(List.of(), injectorChildren(), "no injector outlives the daemon");
    }
}
