// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonOwnershipTest.leftAlone;
import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.cpusOfGroup;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.model.ModelLoader;
import io.smtcheck.os.Signals;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins that fail for real: a SCHED_DEADLINE task refuses any affinity narrower than its root
 * domain (EBUSY), until it is made an ordinary task again.
 */
@Timeout(120)
class DaemonPinFailureTest {
    @TempDir
    Path dir;

    private int deadline;
    private String original;

    @BeforeEach
    void startDeadlineTask() throws Exception {
        original = TestGroup.cpusAllowed(ProcessHandle.current().pid());
        deadline = GroupLauncher.start(List.of("chrt", "--deadline", "--sched-runtime", "1000000", "--sched-deadline",
                "10000000", "--sched-period", "10000000", "0", "sleep", "600"));
        await("the deadline task", () -> {
            try {
                return chrt("-p").contains("SCHED_DEADLINE") || !ProcessHandle.of(deadline).orElseThrow().isAlive();
            } catch (Exception e) {
                return false;
            }
        });
        Assumptions.assumeTrue(chrt("-p").contains("SCHED_DEADLINE"), "SCHED_DEADLINE is not available here");
    }

    @AfterEach
    void stopIt() {
        GroupLauncher.signal(deadline, Signals.SIGKILL);
        GroupLauncher.waitFor(deadline);
    }

    private String chrt(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("chrt"));
        cmd.addAll(List.of(args));
        cmd.add(Integer.toString(deadline));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    private Daemon scripted(DaemonFaultsTest.ScriptedMonitor monitor) {
        ModelLoader models = new ModelLoader(Path.of(System.getProperty("smtcheck.test.models", "trained_model")));
        models.reload();
        DaemonOptions o = new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true, dir.resolve("control.sock"),
                null, dir.resolve("run"), true);
        Daemon d = new Daemon(o, monitor, new DaemonFaultsTest.SampleProfiles(), models,
                new Replanner(Topology.parse("0"), 0.02));
        new Thread(d::run, "daemon-under-test").start();
        return d;
    }

    @Test
    void aFailedPinIsShownAsNotAppliedAndTriedAgain() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = scripted(monitor);
        try {
            monitor.report(new Monitor.Detected(deadline, 101, 1, 5, "deadline"));
            await("the failed pin", () -> {
                DaemonStatus.Workload w = workload(daemon.status(), deadline);
                return w != null && w.pinError() != null;
            });
            DaemonStatus.Workload w = workload(daemon.status(), deadline);
            assertEquals("[]", w.cpus().toString(), "nothing was applied: " + w);
            assertEquals("[0]", w.wantedCpus().toString(), w.toString());
            assertTrue(w.pinError().contains("Device or resource busy"), w.toString());
            assertEquals(Set.of(original), cpusOfGroup(deadline));

            // Made an ordinary task, it can be pinned: a later try does it.
            chrt("--other", "-p", "0");
            await("the retried pin", () -> cpusOfGroup(deadline).equals(Set.of("0")));
            await("the status to follow", () -> workload(daemon.status(), deadline).pinError() == null);
            w = workload(daemon.status(), deadline);
            assertEquals("[0]", w.cpus().toString(), w.toString());
            assertEquals("[0]", w.wantedCpus().toString(), w.toString());
            assertTrue(daemon.status().counters().errors() >= 1);
        } finally {
            daemon.stop();
        }
        assertEquals(Set.of(original), cpusOfGroup(deadline), "restored on stop");
    }

    @Test
    void aPinThatKeepsFailingIsGivenUpAfterBoundedTries() throws Exception {
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = scripted(monitor);
        try {
            monitor.report(new Monitor.Detected(deadline, 101, 1, 5, "deadline"));
            await("the first failure", () -> workload(daemon.status(), deadline) != null);
            long started = System.nanoTime();
            await("giving up", () -> leftAlone(daemon.status(), deadline) != null);
            double seconds = (System.nanoTime() - started) / 1e9;
            DaemonStatus s = daemon.status();
            assertNull(workload(s, deadline), s.toString());
            assertTrue(leftAlone(s, deadline).reason().contains("Device or resource busy"), s.toString());
            // Five tries, 0.2 + 0.4 + 0.8 + 1.6 s apart: backing off, not hammering.
            assertEquals(Pinning.MAX_PIN_ATTEMPTS, s.counters().errors(), s.toString());
            assertTrue(seconds > 2.5, "gave up after " + seconds + " s");
            assertEquals(0, s.counters().pins());
            assertFalse(s.cores().get(0).workloads().toString().contains(Integer.toString(deadline)),
                    "its CPU is free for others: " + s);
        } finally {
            daemon.stop();
        }
    }
}
