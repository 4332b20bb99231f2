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
import io.smtcheck.profiling.InSituProfiler;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's in-situ profiles: the control socket's {@code profile} and its refusals, and a
 * profile run with real injectors and pins on this machine's two CPUs, over counters the test
 * gives (this machine has none in hardware; no figure is checked, only where things ran).
 */
@Timeout(180)
class DaemonInSituTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Short windows at full intensity only: the schedule, not the figures, is under test. */
    private static final InSituProfiler.Settings SHORT = new InSituProfiler.Settings(0.05, 0.2, List.of(1.0), 0.5, 3);

    @TempDir
    Path dir;

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
        ModelLoader models = new ModelLoader(testModels());
        models.reload();
        DaemonOptions options = new DaemonOptions(1, Duration.ofMillis(100), false, 0.02, true,
                dir.resolve("run/control.sock"), null, dir.resolve("run"), true);
        return new Daemon(options, monitor, profiles, models, new Replanner(Topology.parse("0,1"), 0.02), SHORT);
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
}
