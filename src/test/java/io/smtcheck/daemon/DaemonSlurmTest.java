// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonOwnershipTest.leftAlone;
import static io.smtcheck.daemon.DaemonOwnershipTest.taskset;
import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.cpusOfGroup;
import static io.smtcheck.daemon.DaemonTests.testModels;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.model.ModelLoader;
import io.smtcheck.os.Signals;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slurm jobs as the daemon takes them in: their profile by name whatever their Slurm job id, a
 * job with only part of the topology placed within its allocation, and one whose allocation is
 * unknown or shared left alone. The processes are real and carry the
 * environment slurmstepd gives a job's tasks; scripts/slurm-test.sh runs the same against a real
 * slurmctld and slurmd.
 */
@Timeout(120)
class DaemonSlurmTest {
    @TempDir
    Path dir;

    private final List<Integer> started = new ArrayList<>();

    @AfterEach
    void killStarted() {
        for (int pgid : started) {
            GroupLauncher.signal(pgid, Signals.SIGKILL);
            GroupLauncher.waitFor(pgid);
        }
    }

    /**
     * A group whose leader runs sleep in Slurm job {@code id} with {@code cpusOnNode} CPUs on this
     * node, and the {@code env} more entries of its environment.
     */
    private int job(int id, String name, int cpusOnNode, String... env) throws Exception {
        return job(started, id, name, cpusOnNode, env);
    }

    /** As {@link #job(int, String, int, String...)}, adding the group to {@code started}, which the caller kills. */
    static int job(List<Integer> started, int id, String name, int cpusOnNode, String... env) throws Exception {
        List<String> command = new ArrayList<>(List.of("env", "SLURM_JOB_ID=" + id, "SLURM_JOB_NAME=" + name,
                "SLURM_CPUS_ON_NODE=" + cpusOnNode));
        command.addAll(List.of(env));
        command.addAll(List.of("sleep", "600"));
        int pgid = GroupLauncher.start(command);
        started.add(pgid);
        await("env to exec sleep", () -> {
            try {
                return Files.readString(Path.of("/proc/" + pgid + "/comm")).strip().equals("sleep");
            } catch (java.io.IOException e) {
                return false;
            }
        });
        return pgid;
    }

    private Daemon start(DaemonFaultsTest.ScriptedMonitor monitor, Topology topology) throws Exception {
        ModelLoader models = new ModelLoader(testModels());
        models.reload();
        DaemonOptions o = new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true,
                dir.resolve("run/control.sock"), null, dir.resolve("run"), true, AffinityPolicy.defaults());
        Daemon daemon = new Daemon(o, monitor, new DaemonFaultsTest.SampleProfiles(), models,
                new Replanner(topology, 0.02));
        new Thread(daemon::run, "daemon-under-test").start();
        return daemon;
    }

    @Test
    void slurmJobsGoByTheirNameAndJobsOfUnknownCpusAreLeftAlone() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = start(monitor, Topology.parse("0,1"));
        try {
            // Slurm job 101 named nbody: 101 is the sample dgemm's job id, which must not decide its profile.
            int nbody = job(101, "nbody", 2);
            int fewCpus = job(7002, "dgemm", 1);
            monitor.report(new Monitor.Detected(nbody, 101, 1, 5, "nbody", "nbody"),
                    new Monitor.Detected(fewCpus, 7002, 1, 5, "dgemm", "dgemm"));
            await("the decisions", () -> {
                DaemonStatus s = daemon.status();
                DaemonStatus.Workload w = workload(s, nbody);
                return w != null && !w.cpus().isEmpty() && leftAlone(s, fewCpus) != null;
            });
            DaemonStatus s = daemon.status();
            DaemonStatus.Workload w = workload(s, nbody);
            assertEquals(101, w.job());
            assertEquals("nbody", w.name(), "the profile of its name, not of its job id");
            assertTrue(w.profileKnown());
            assertEquals(Set.of(w.cpus().get(0).toString()), cpusOfGroup(nbody));
            assertEquals("Slurm job 7002 (dgemm) is allocated 1 CPUs on this node (SLURM_CPUS_ON_NODE), but its"
                    + " cpuset and affinity allow 2 (0,1): which are its own is unknown (no task plugin binds it)",
                    leftAlone(s, fewCpus).reason());
            assertNull(workload(s, fewCpus));
            assertEquals(Set.of("0-1"), cpusOfGroup(fewCpus), "its affinity untouched");
        } finally {
            daemon.stop();
        }
    }

    @Test
    void aJobWithOneCpuOfACoreIsPinnedToItAloneAndOneSharingItsCpuIsLeftAlone() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = start(monitor, Topology.parse("0,1"));
        try {
            int bound = job(7003, "dgemm", 1);
            taskset("1", bound); // as task/affinity binds a job's task to its allocation
            int sharing = job(7004, "nbody", 1);
            taskset("1", sharing); // given the CPU of another job
            int steps = job(7005, "nbody", 2, "SLURM_STEP_NUM_TASKS=2");
            taskset("0", steps); // the first of two tasks, each bound to a CPU of its own
            // Two workers reported: its allocation has room for one.
            monitor.report(new Monitor.Detected(bound, 7003, 2, 5, "dgemm", "dgemm"));
            await("the job placed", () -> {
                DaemonStatus.Workload w = workload(daemon.status(), bound);
                return w != null && !w.cpus().isEmpty();
            });
            monitor.report(new Monitor.Detected(sharing, 7004, 1, 5, "nbody", "nbody"),
                    new Monitor.Detected(steps, 7005, 1, 5, "nbody", "nbody"));
            await("the others left alone", () -> {
                DaemonStatus s = daemon.status();
                return leftAlone(s, sharing) != null && leftAlone(s, steps) != null;
            });
            DaemonStatus s = daemon.status();
            DaemonStatus.Workload w = workload(s, bound);
            assertEquals(7003, w.job());
            assertEquals("dgemm", w.name());
            assertEquals(1, w.workers(), "counted as the one CPU of its allocation");
            assertEquals(List.of(1), w.cpus(), "within its allocation, alone on its CPU of core 0,1");
            assertEquals(List.of(1), w.allocation(), "its allocation shown");
            assertEquals(Set.of("1"), cpusOfGroup(bound));
            assertEquals("its allocation, CPUs 1, shares CPUs 1 with that of group " + bound
                    + " (dgemm, CPUs 1), managed already", leftAlone(s, sharing).reason());
            assertEquals("Slurm job 7005 (nbody) runs a step of 2 tasks that Slurm bound to CPUs each: its leader"
                    + " shows only its own task's, CPUs 0", leftAlone(s, steps).reason());
            assertNull(workload(s, sharing));
            assertEquals(Set.of("0"), cpusOfGroup(steps), "its affinity untouched");
        } finally {
            daemon.stop();
        }
    }

    @Test
    void aJobWithPartOfTheTopologyIsPinnedWithinItsAllocation() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        // Cores 0,1 and 2,3, of which this machine has the first: the job is allocated core 0,1.
        Daemon daemon = start(monitor, Topology.shape(List.of(List.of(0, 1), List.of(2, 3))));
        try {
            int half = job(7006, "stream-copy", 2);
            taskset("0,1", half);
            monitor.report(new Monitor.Detected(half, 7006, 1, 5, "stream-copy", "stream-copy"));
            await("the job placed", () -> {
                DaemonStatus.Workload w = workload(daemon.status(), half);
                return w != null && !w.cpus().isEmpty() && w.pinError() == null;
            });
            DaemonStatus.Workload w = workload(daemon.status(), half);
            assertEquals(1, w.cpus().size());
            assertTrue(List.of(0, 1).contains(w.cpus().get(0)), "within CPUs 0,1: " + w.cpus());
            assertEquals(Set.of(w.cpus().get(0).toString()), cpusOfGroup(half), "narrowed from 0-1 by the pin");
            assertEquals(List.of(0, 1), w.allocation(), "its allocation shown");
        } finally {
            daemon.stop();
        }
    }
}
