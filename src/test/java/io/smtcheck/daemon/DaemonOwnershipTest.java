// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.cpusOfGroup;
import static io.smtcheck.daemon.DaemonTests.startTicks;
import static io.smtcheck.daemon.DaemonTests.tasksOfGroup;
import static io.smtcheck.daemon.DaemonTests.testModels;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.os.Signals;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Affinity the daemon does not own: groups someone else narrowed, pinned or changed, groups its
 * rules exclude, and groups a killed predecessor left pinned.
 */
@Timeout(300)
class DaemonOwnershipTest {
    @TempDir
    Path dir;
    private Daemon scripted(DaemonFaultsTest.ScriptedMonitor monitor, String topology, AffinityPolicy policy,
            boolean restoreOnExit) {
        ModelLoader models = new ModelLoader(testModels());
        models.reload();
        DaemonOptions o = new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, restoreOnExit,
                dir.resolve("run/control.sock"), null, dir.resolve("run"), true, policy);
        Daemon d = new Daemon(o, monitor, new DaemonFaultsTest.SampleProfiles(), models,
                new Replanner(Topology.parse(topology), 0.02));
        new Thread(d::run, "daemon-under-test").start();
        return d;
    }

    /** Every task of every process whose group is {@code pgid}, from /proc. */
    /**
     * Narrows (or widens) every task of a group the way an operator would, with taskset, one task
     * after the other: the leader's main thread, which the daemon checks, comes last.
     */
    static void taskset(String cpus, int pgid) throws Exception {
        List<Long> tids = new ArrayList<>(tasksOfGroup(pgid));
        tids.sort((a, b) -> Boolean.compare(a == pgid, b == pgid));
        for (long tid : tids) {
            Process p = new ProcessBuilder("taskset", "-pc", cpus, Long.toString(tid)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), out);
        }
    }

    static DaemonStatus.LeftAlone leftAlone(DaemonStatus status, int pgid) {
        for (DaemonStatus.LeftAlone a : status.leftAlone()) {
            if (a.pgid() == pgid) {
                return a;
            }
        }
        return null;
    }

    @Test
    void aGroupSomeoneElseNarrowedIsLeftAlone() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = scripted(monitor, "0,1", AffinityPolicy.defaults(), true);
        try (TestGroup narrowed = new TestGroup(2, 1, false); TestGroup free = new TestGroup(1, 0, false)) {
            taskset("1", narrowed.pgid()); // as `taskset -c 1 CMD` would have started it
            monitor.report(new Monitor.Detected(narrowed.pgid(), 101, 1, 5, "narrowed"),
                    new Monitor.Detected(free.pgid(), 102, 1, 5, "free"));
            await("the free group's pin", () -> {
                DaemonStatus.Workload w = workload(daemon.status(), free.pgid());
                return w != null && !w.cpus().isEmpty();
            });
            DaemonStatus s = daemon.status();
            assertNull(workload(s, narrowed.pgid()), s.toString());
            DaemonStatus.LeftAlone alone = leftAlone(s, narrowed.pgid());
            assertTrue(alone != null && alone.reason().contains("narrowed by someone else"),
                    s.toString());
            // Reported again, it is still not taken in; and its tasks keep the CPU they were given.
            monitor.report(new Monitor.Detected(narrowed.pgid(), 101, 1, 5, "narrowed"));
            await("the repeat", monitor::drained);
            Thread.sleep(300);
            assertNull(workload(daemon.status(), narrowed.pgid()));
            assertEquals(Set.of("1"), cpusOfGroup(narrowed));
            daemon.stop();
            assertEquals(Set.of("1"), cpusOfGroup(narrowed), "not restored to anything on stop either");
        } finally {
            daemon.stop();
        }
    }

    @Test
    void withNarrowedManageANarrowedGroupIsPinned() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = scripted(monitor, "0", AffinityPolicy.parse(List.of(), List.of(), "manage"), true);
        try (TestGroup g = new TestGroup(1, 1, false)) {
            taskset("1", g.pgid());
            monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
            await("the pin", () -> cpusOfGroup(g).equals(Set.of("0")));
            daemon.stop();
            assertEquals(Set.of("1"), cpusOfGroup(g), "its narrowed affinity is what a restore puts back");
        } finally {
            daemon.stop();
        }
    }

    @Test
    void includeAndExcludeRulesChooseTheGroups() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        AffinityPolicy policy = AffinityPolicy.parse(List.of("uid=65534", "comm=smtcheck-test*"),
                List.of("cgroup=/nowhere/*", "comm=sleep"), "skip");
        Daemon daemon = scripted(monitor, "0,1", policy, true);
        List<Integer> started = new ArrayList<>();
        try (TestGroup mine = new TestGroup(1, 0, false)) {
            // Root's sleep: excluded by name. Nobody's sh: included by uid. Root's sh: no rule includes it.
            int rootSleep = GroupLauncher.start(List.of("sleep", "600"));
            started.add(rootSleep);
            int nobodyShell = GroupLauncher.start(List.of("setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups", "sh", "-c", "sleep 600; :"));
            started.add(nobodyShell);
            int rootShell = GroupLauncher.start(List.of("sh", "-c", "sleep 600; :"));
            started.add(rootShell);
            await("nobody's process to run as nobody", () -> io.smtcheck.proc.ProcessIdentity.of(nobodyShell).map(io.smtcheck.proc.ProcessIdentity::uid).orElse(-1) == 65534);
            monitor.report(new Monitor.Detected(mine.pgid(), 101, 1, 5, ""),
                    new Monitor.Detected(rootSleep, 102, 1, 5, ""),
                    new Monitor.Detected(nobodyShell, 103, 1, 5, ""),
                    new Monitor.Detected(rootShell, 104, 1, 5, ""));
            await("all four decided", () -> {
                DaemonStatus s = daemon.status();
                return s.workloads().size() + s.leftAlone().size() == 4;
            });
            DaemonStatus s = daemon.status();
            assertTrue(workload(s, mine.pgid()) != null, "comm=smtcheck-test* includes it: " + s);
            assertTrue(workload(s, nobodyShell) != null, "uid=65534 includes it: " + s);
            assertEquals("excluded by comm=sleep", leftAlone(s, rootSleep).reason());
            assertEquals("matches no --include rule", leftAlone(s, rootShell).reason());
        } finally {
            daemon.stop();
            for (int pid : started) {
                GroupLauncher.signal(pid, Signals.SIGKILL);
                GroupLauncher.waitFor(pid);
            }
        }
    }

    @Test
    void aGroupIsNeverPinnedOutsideItsCgroupsCpuset() throws Exception {
        Optional<TestCpuset> made = TestCpuset.create("0");
        Assumptions.assumeTrue(made.isPresent(), "no writable cpuset cgroup here");
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = scripted(monitor, "0,1", AffinityPolicy.parse(List.of(), List.of(), "manage"), true);
        try (TestCpuset cpuset = made.get(); TestGroup g = new TestGroup(1, 1, false);
                TestGroup other = new TestGroup(1, 0, false)) {
            for (long tid : tasksOfGroup(g.pgid())) {
                cpuset.add(tid);
            }
            assertEquals(Set.of("0"), cpusOfGroup(g));
            // Its affinity is all its cpuset allows (not narrowed), but the plan could put it on CPU 1.
            monitor.report(new Monitor.Detected(other.pgid(), 102, 1, 5, ""));
            await("the other group's pin", () -> cpusOfGroup(other).size() == 1
                    && !cpusOfGroup(other).contains("0-1"));
            monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
            await("the decision", () -> leftAlone(daemon.status(), g.pgid()) != null);
            DaemonStatus s = daemon.status();
            assertTrue(leftAlone(s, g.pgid()).reason().contains("allows only CPUs 0"), s.toString());
            assertNull(workload(s, g.pgid()));
            assertEquals(Set.of("0"), cpusOfGroup(g));
        } finally {
            daemon.stop();
        }
    }

    @Test
    void aGroupWhosePinSomeoneElseChangesIsLetGo() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = scripted(monitor, "0", AffinityPolicy.defaults(), true);
        try (TestGroup g = new TestGroup(2, 1, false)) {
            monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
            await("the pin", () -> cpusOfGroup(g).equals(Set.of("0")));
            taskset("1", g.pgid()); // an operator moves it
            await("the daemon to notice", () -> leftAlone(daemon.status(), g.pgid()) != null);
            DaemonStatus s = daemon.status();
            assertNull(workload(s, g.pgid()), s.toString());
            assertTrue(leftAlone(s, g.pgid()).reason()
                    .contains("changed to 1 by someone else (the daemon had left it on 0)"), s.toString());
            assertEquals(1, s.counters().changedByOthers());
            assertFalse(Files.exists(dir.resolve("run/originals/" + g.pgid() + ".json")), "its record is dropped");
            // Reported again, it is not taken back; on stop it keeps the operator's choice.
            monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
            await("the repeat", monitor::drained);
            Thread.sleep(500);
            assertNull(workload(daemon.status(), g.pgid()));
            daemon.stop();
            assertEquals(Set.of("1"), cpusOfGroup(g));
        } finally {
            daemon.stop();
        }
    }

    @Test
    void withNarrowedManageAChangedPinIsPutBack() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = scripted(monitor, "0", AffinityPolicy.parse(List.of(), List.of(), "manage"), true);
        try (TestGroup g = new TestGroup(1, 1, false)) {
            monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
            await("the pin", () -> cpusOfGroup(g).equals(Set.of("0")));
            taskset("1", g.pgid());
            await("the pin put back", () -> cpusOfGroup(g).equals(Set.of("0")));
            assertEquals(1, daemon.status().counters().changedByOthers());
        } finally {
            daemon.stop();
        }
    }

    @Test
    void groupsAKilledDaemonLeftPinnedAreRestoredAtStartUpAndByReset() throws Exception {
        String original = TestGroup.cpusAllowed(ProcessHandle.current().pid());
        Path run = dir.resolve("run");
        LaunchRegistry launched = new LaunchRegistry(run.resolve("launched"));
        // Two groups of a leader and a child each; one will lose its leader.
        int orphaned = GroupLauncher.start(List.of("sh", "-c", "sleep 600 & exec sleep 600"));
        int whole = GroupLauncher.start(List.of("sh", "-c", "sleep 600 & exec sleep 600"));
        try {
            await("both children", () -> {
                try {
                    return tasksOfGroup(orphaned).size() == 2 && tasksOfGroup(whole).size() == 2;
                } catch (IOException e) {
                    return false;
                }
            });
            long now = Instant.now().getEpochSecond();
            launched.add(new LaunchRegistry.Entry(orphaned, 101, 1, "sleep", now, startTicks(orphaned)));
            launched.add(new LaunchRegistry.Entry(whole, 102, 1, "sleep", now, startTicks(whole)));
            Process first = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "io.smtcheck.cli.Main", "run", "--userspace",
                    "--sample-profiles", "--threshold", "1", "--interval", "0.2", "--topology", "0,1", "--socket",
                    dir.resolve("first.sock").toString(), "--state-dir", run.toString(), "--data-dir",
                    dir.resolve("data").toString(), "--model-dir", testModels().toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("first.log").toFile()).start();
            try {
                await("both groups pinned", 120, () -> cpusOfGroup(orphaned).size() == 1 && cpusOfGroup(whole).size() == 1
                        && !cpusOfGroup(orphaned).contains(original) && !cpusOfGroup(whole).contains(original));
            } finally {
                first.destroyForcibly(); // SIGKILL: nothing restored
                first.waitFor();
            }
            Set<String> pinnedWhole = cpusOfGroup(whole);
            // The leader of one group exits; its child lives on in the group, still pinned.
            ProcessHandle.of(orphaned).orElseThrow().destroyForcibly();
            GroupLauncher.waitFor(orphaned);
            assertEquals(1, tasksOfGroup(orphaned).size());
            assertFalse(cpusOfGroup(orphaned).contains(original));

            // A new daemon, whose monitor will not report either group for an hour: at start-up it
            // restores the leaderless group; the other waits to be reported, until reset --affinity.
            DaemonOptions slow = new DaemonOptions(3600, Duration.ofMillis(200), false, 0.02, true,
                    dir.resolve("second.sock"), null, run, true);
            try (DaemonRuntime second = DaemonRuntime.start(slow, Topology.parse("0,1"), null, dir.resolve("data"),
                    testModels(), false)) {
                Thread loop = new Thread(second::run);
                loop.start();
                await("the leaderless group restored", () -> cpusOfGroup(orphaned).equals(Set.of(original)));
                assertFalse(Files.exists(run.resolve("originals/" + orphaned + ".json")));
                Thread.sleep(300);
                assertEquals(pinnedWhole, cpusOfGroup(whole), "a group with its leader waits to be reported");
                JsonNode r = second.daemon().reset(false, true);
                assertEquals(1, r.path("restoredGroups").asInt(), r.toString());
                assertEquals(Set.of(original), cpusOfGroup(whole));
                assertFalse(Files.exists(run.resolve("originals/" + whole + ".json")));
            }
        } finally {
            GroupLauncher.signal(orphaned, Signals.SIGKILL);
            GroupLauncher.signal(whole, Signals.SIGKILL);
            GroupLauncher.waitFor(whole);
        }
    }
}
