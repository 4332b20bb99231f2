// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.model.InvalidDataException;
import io.smtcheck.sched.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Live runs of small loads on this machine: real processes, pinned where the policy pins. */
@Timeout(120)
class LiveRunTest {
    /** CPUs 0 and 1 as one core's two threads: on a machine without SMT they are two cores. */
    private static final Topology HOST = Topology.parse("0,1");

    /** What each started job's /proc said while it ran. */
    private static final class Seen implements LiveRun.Listener {
        final Map<String, String> allowed = new ConcurrentHashMap<>();
        final Map<String, Integer> pgids = new ConcurrentHashMap<>();

        @Override
        public void started(Trace.Job job, int pgid, List<Integer> cpus) {
            pgids.put(job.id(), pgid);
            allowed.put(job.id(), cpusAllowed(pgid));
        }
    }

    static String cpusAllowed(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (java.io.IOException e) {
            return "gone";
        }
        return "?";
    }

    private static Trace trace(String text) {
        return Trace.parse(text, "t");
    }

    @Test
    void pinnedPoliciesPinRealProcessesAndEveryJobTakesAtLeastItsTimeAlone() throws Exception {
        // Three jobs on two CPUs (one under smt-off): some must wait.
        LiveRun live = new LiveRun(HOST, 1, 60, 0.3);
        LiveRun.Prepared p = live.prepare(trace("0 1 1 int_alu\n0 1 1 fp_unit@0.5\n0.2 1.5 1 sleeper sleep 1.5\n"),
                new LiveRun.Listener() { });
        assertTrue(p.commands().get("j1").get(0).endsWith("smtcheck-inject"), p.commands().toString());
        assertEquals(List.of("sleep", "1.5"), p.commands().get("j3"));
        assertTrue(p.endless().isEmpty());
        // Measured, not assumed: the injector's rate varies with the machine's load, so a second of
        // work at the calibrated rate takes about, not exactly, a second alone.
        for (Trace.Job j : p.jobs()) {
            assertTrue(j.work() > 0.05 && j.work() < 10, j.id() + " alone: " + j.work() + " s");
        }
        assertTrue(p.jobs().get(2).work() >= 1.5, "sleep 1.5 alone: " + p.jobs().get(2).work() + " s");
        for (Policy policy : List.of(Policy.RANDOM, Policy.SMT_OFF)) {
            Seen seen = new Seen();
            LiveResult r = live.run(p, policy, seen);
            assertEquals(3, seen.allowed.size(), policy + ": " + seen.allowed);
            for (var e : seen.allowed.entrySet()) {
                if (policy == Policy.SMT_OFF) {
                    assertEquals("0", e.getValue(), policy + ": " + e.getKey());
                } else {
                    assertTrue(e.getValue().equals("0") || e.getValue().equals("1"), policy + ": " + e);
                }
            }
            assertEquals(3, r.run().finishedJobs().size(), policy + ": " + r);
            assertEquals(0, r.killed());
            assertTrue(r.failures().isEmpty(), r.failures().toString());
            assertEquals(3, r.run().pins());
            for (RunResult.JobOutcome o : r.run().jobs()) {
                // Slack: the time alone is itself one measurement on a shared machine, where a loaded
                // moment can stretch it by a fifth; a turnaround in the wrong unit would be far off.
                assertTrue(o.turnaround() >= 0.7 * o.job().work(), policy + ": " + o);
            }
            assertTrue(r.run().stp() > 0 && r.run().stp() <= 3.3, policy + ": STP " + r.run().stp());
            for (int pgid : seen.pgids.values()) {
                assertFalse(Files.exists(Path.of("/proc/" + pgid)), policy + ": group " + pgid + " left behind");
            }
        }
        // Under smt-off the three jobs ran one after another on CPU 0: the last ended after the sum of their times alone.
        LiveResult serial = live.run(p, Policy.SMT_OFF, new LiveRun.Listener() { });
        double alone = p.jobs().stream().mapToDouble(Trace.Job::work).sum();
        assertTrue(serial.run().makespan() >= 0.7 * alone, serial.run().makespan() + " s for " + alone + " s alone");
    }

    @Test
    void aJobThatNeverEndsIsKilledAtTheLimitAndAFailingOneIsReported() throws Exception {
        LiveRun live = new LiveRun(HOST, 1, 3, 0.3);
        LiveRun.Prepared p = live.prepare(trace("0 1 1 forever sleep 1000\n0 1 1 ok sleep 0.5\n0 1 1 bad ls /no/such/file\n"),
                new LiveRun.Listener() { });
        assertEquals(java.util.Set.of("j1"), p.endless());
        Seen seen = new Seen();
        long t0 = System.nanoTime();
        LiveResult r = live.run(p, Policy.LINUX, seen);
        double took = (System.nanoTime() - t0) / 1e9;
        assertTrue(took >= 3 && took < 10, "the run took " + took + " s for a limit of 3 s");
        assertEquals(1, r.killed());
        assertEquals(1, r.failures().size());
        assertEquals("j3", r.failures().get(0).jobId());
        assertEquals(2, r.failures().get(0).exitStatus());
        assertTrue(r.failures().get(0).message().contains("/no/such/file"), r.failures().get(0).message());
        assertEquals(List.of("j2"), r.run().finishedJobs().stream().map(o -> o.job().id()).toList());
        assertEquals(cpusAllowed((int) ProcessHandle.current().pid()), seen.allowed.get("j2"), "linux pins nothing");
        assertEquals(0, r.run().pins());
        assertFalse(Files.exists(Path.of("/proc/" + seen.pgids.get("j1"))), "the endless job was left running");
    }

    @Test
    void aPayloadWithoutAProgramIsRefusedNamingItsLine() {
        InvalidDataException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidDataException.class,
                () -> LivePayloads.requireRunnable(trace("0 1 1 int_alu\n0 1 1 dgemm\n"), "t"));
        assertTrue(e.getMessage().startsWith("t: line 2: payload: 'dgemm' has no program to run live"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(InvalidDataException.class,
                () -> LivePayloads.requireRunnable(trace("0 1 1 llc@2\n"), "t"));
        assertTrue(e.getMessage().contains("intensity: 2.0 is not in (0, 1]"), e.getMessage());
        Trace runnable = trace("0 1 1 mem_bw@0.25\n0 1 1 dgemm ./dgemm --n 512\n");
        LivePayloads.requireRunnable(runnable, "t");
        assertEquals(new LivePayloads.Injector("mem_bw", 0.25), LivePayloads.injectorOf(runnable.jobs().get(0)));
        assertEquals(null, LivePayloads.injectorOf(runnable.jobs().get(1)));
    }

    @Test
    void underSmtcheckTheRealDaemonPinsTheLaunchedJobs() throws Exception {
        List<String> smtcheck = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.smtcheck.cli.Main");
        LiveRun live = new LiveRun(HOST, 1, 60, 0.3, smtcheck, 0.02);
        // Long enough to pass the daemon's threshold of 1 s and be placed.
        LiveRun.Prepared p = live.prepare(trace("0 3 1 a sleep 3\n0 3 1 b sleep 3\n"), new LiveRun.Listener() { });
        Seen seen = new Seen();
        LiveResult r = live.run(p, Policy.SMTCHECK, seen);
        assertEquals(2, r.run().finishedJobs().size(), r.toString());
        // Counted from the jobs' affinity in /proc changing while they ran: each was pinned by the daemon.
        assertTrue(r.run().pins() >= 2, r.toString());
        assertTrue(r.daemon() != null && r.daemon().cpuSeconds() > 0 && r.daemon().maxRssKib() > 10_000, r.toString());
        for (RunResult.JobOutcome o : r.run().jobs()) {
            assertTrue(o.turnaround() >= 0.99 * o.job().work(), o.toString());
        }
        for (int pgid : seen.pgids.values()) {
            assertFalse(Files.exists(Path.of("/proc/" + pgid)), "group " + pgid + " left behind");
        }
    }
}
