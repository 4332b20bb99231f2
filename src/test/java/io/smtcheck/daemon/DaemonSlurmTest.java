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
 * Slurm jobs as the daemon takes them in: their profile by name whatever their Slurm job id, and
 * a job with only part of the topology left alone. The processes are real and carry the
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

    /** A group whose leader runs sleep in Slurm job {@code id} with {@code cpusOnNode} CPUs on this node. */
    private int job(int id, String name, int cpusOnNode) throws Exception {
        int pgid = GroupLauncher.start(List.of("env", "SLURM_JOB_ID=" + id, "SLURM_JOB_NAME=" + name,
                "SLURM_CPUS_ON_NODE=" + cpusOnNode, "sleep", "600"));
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

    @Test
    void slurmJobsGoByTheirNameAndOnlyWholeAllocationsAreManaged() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        ModelLoader models = new ModelLoader(testModels());
        models.reload();
        DaemonOptions o = new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true,
                dir.resolve("run/control.sock"), null, dir.resolve("run"), true, AffinityPolicy.defaults());
        Daemon daemon = new Daemon(o, monitor, new DaemonFaultsTest.SampleProfiles(), models,
                new Replanner(Topology.parse("0,1"), 0.02));
        new Thread(daemon::run, "daemon-under-test").start();
        try {
            // Slurm job 101 named nbody: 101 is the sample dgemm's job id, which must not decide its profile.
            int nbody = job(101, "nbody", 2);
            int fewCpus = job(7002, "dgemm", 1);
            int bound = job(7003, "dgemm", 2);
            taskset("1", bound); // as task/affinity binds a job's task to its allocation
            monitor.report(new Monitor.Detected(nbody, 101, 1, 5, "nbody", "nbody"),
                    new Monitor.Detected(fewCpus, 7002, 1, 5, "dgemm", "dgemm"),
                    new Monitor.Detected(bound, 7003, 1, 5, "dgemm", "dgemm"));
            await("the decisions", () -> {
                DaemonStatus s = daemon.status();
                DaemonStatus.Workload w = workload(s, nbody);
                return w != null && !w.cpus().isEmpty() && leftAlone(s, fewCpus) != null && leftAlone(s, bound) != null;
            });
            DaemonStatus s = daemon.status();
            DaemonStatus.Workload w = workload(s, nbody);
            assertEquals(101, w.job());
            assertEquals("nbody", w.name(), "the profile of its name, not of its job id");
            assertTrue(w.profileKnown());
            assertEquals(Set.of(w.cpus().get(0).toString()), cpusOfGroup(nbody));
            assertEquals("Slurm job 7002 (dgemm) is allocated 1 CPUs on this node (SLURM_CPUS_ON_NODE), fewer than"
                    + " the topology's 2: a job is placed only on a node it has whole", leftAlone(s, fewCpus).reason());
            assertEquals("Slurm job 7003 (dgemm) is allocated CPUs 1, not all of the topology's 0,1: a job is placed"
                    + " only on a node it has whole", leftAlone(s, bound).reason());
            assertNull(workload(s, fewCpus));
            assertEquals(Set.of("1"), cpusOfGroup(bound), "left on its allocation");
        } finally {
            daemon.stop();
        }
    }
}
