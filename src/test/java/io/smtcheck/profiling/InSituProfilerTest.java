// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.model.Measurement;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ResourceProfile;
import io.smtcheck.model.ResourceType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In-situ profiles on a simulated machine whose slowdowns are known. */
class InSituProfilerTest {
    /** How close a recovered sensitivity or intensity comes to the truth at 0.5 % noise per window. */
    static final double TOLERANCE = 0.05;
    /**
     * ... and a usage, fitted in steps of 0.01 from three levels: a sequential resource's curve has
     * a knee that pins it; a parallel one's shape changes little with the usage, so noise moves it
     * further (as it does in {@code profile}): over 50 seeds at this noise its error was 0.15 on
     * average, 0.35 at most.
     */
    static final Map<ResourceType, Double> USAGE_TOLERANCE = Map.of(ResourceType.SEQUENTIAL, 0.05,
            ResourceType.PARALLEL, 0.4);

    static final Map<String, SimulatedMachine.Truth> TRUTH = Map.of(
            "int_port", new SimulatedMachine.Truth(ResourceType.SEQUENTIAL, 0.5, 0.6, 0.4, 0.9),
            "l1_dcache", new SimulatedMachine.Truth(ResourceType.PARALLEL, 0.4, 0.8, 0.3, 0.7),
            "l2_cache", new SimulatedMachine.Truth(ResourceType.PARALLEL, 0.5, 0.3, 0.9, 0.5));
    static final List<Injector> INJECTORS = List.of(
            new Injector("int_port", ResourceType.SEQUENTIAL, 0, ""),
            new Injector("l1_dcache", ResourceType.PARALLEL, 0, ""),
            new Injector("l2_cache", ResourceType.PARALLEL, 0, ""));
    static final Measurement.Machine MACHINE = new Measurement.Machine("sim", "simulated", "0,1", "", "");
    static final InSituProfiler.Settings FAST = new InSituProfiler.Settings(1, 5, List.of(0.25, 0.5, 1.0), 0.15, 3);

    @TempDir
    Path dir;

    static SimulatedMachine machine(double noise, long seed) {
        return new SimulatedMachine(0, 1, 2e9, TRUTH, noise, seed);
    }

    static InSituProfiler.Request request(int pgid) {
        return new InSituProfiler.Request(pgid, 7, "job7", null, 1, List.of("/bin/job", "--long"), "/srv", 0, 1,
                MACHINE, INJECTORS);
    }

    InSituProfiler profiler(SimulatedMachine m, int pgid, InSituProfiler.Settings s) throws IOException {
        return InSituProfiler.of(m, s, request(pgid), dir, m::place);
    }

    @Test
    void recoversTheGroundTruthWithinTheTolerance() throws Exception {
        for (long seed = 1; seed <= 20; seed++) {
            SimulatedMachine m = machine(0.005, seed);
            InSituProfiler p = profiler(m, 100, InSituProfiler.Settings.DEFAULTS);
            InSituProfiler.Result r = p.run();
            Profile profile = r.profile();
            for (var e : TRUTH.entrySet()) {
                ResourceProfile got = profile.resources().get(e.getKey());
                SimulatedMachine.Truth want = e.getValue();
                String at = e.getKey() + " (seed " + seed + ")";
                assertEquals(want.sensitivity(), got.sensitivity(), TOLERANCE, at + " sensitivity");
                assertEquals(want.intensity(), got.intensity(), TOLERANCE, at + " intensity");
                assertEquals(want.usage(), got.usage(), USAGE_TOLERANCE.get(want.type()), at + " usage");
                assertEquals(want.sensitivity() * want.full(), got.baseSlowdown(), TOLERANCE, at + " base slowdown");
            }
            assertEquals(Measurement.Progress.IN_SITU, profile.measured().progress());
            assertEquals(List.of(0, 1), profile.measured().cpus());
            assertEquals(List.of("/bin/job", "--long"), profile.measured().command());
            assertEquals(2, profile.singleIpc(), 0.01, "cycles are half the instructions in the simulation");
            assertEquals(2e9, r.soloMean(), 2e9 * 0.03);
            assertTrue(r.soloSpread() < 0.1, "spread " + r.soloSpread());
            assertEquals(new InSituProfiler.Done(24, 24, "with/l2_cache/1.000"), p.progress());
            assertEquals(0, r.resumed());
            assertFalse(Files.exists(dir.resolve("job-7.json")), "the journal is dropped once the profile is complete");
            // Each window was preceded by its warm-up: 24 windows of (2 + 10) s, the pairs with two injectors.
            assertEquals(1 + 24 * 12, m.seconds(), 1e-6);
        }
    }

    @Test
    void aGroupThatExitsLeavesAJournalTheJobsNextGroupResumes() throws Exception {
        SimulatedMachine first = machine(0.01, 3);
        first.exitAfter(12 * 6 + 2 * 6 + 1); // in the third of the job's windows, after the 12 of the injectors
        InSituProfiler.FailedException e = assertThrows(InSituProfiler.FailedException.class,
                () -> profiler(first, 100, FAST).run());
        assertTrue(e.resumable());
        assertTrue(e.getMessage().startsWith("group 100 (job 7) exited mid-profile after 14 of 24 windows"), e.getMessage());
        assertTrue(Files.exists(dir.resolve("job-7.json")));

        SimulatedMachine second = machine(0.01, 4);
        InSituProfiler.Result r = profiler(second, 200, FAST).run();
        assertEquals(14, r.resumed());
        assertEquals(24, r.windows());
        assertEquals(10 * 6, second.seconds() - 1, 1e-6, "only the ten windows left were measured");
        assertEquals(0.6, r.profile().resources().get("int_port").sensitivity(), TOLERANCE);
    }

    @Test
    void aGroupThatCannotBeMovedOntoTheCoreKeepsTheInjectorsWindows() throws Exception {
        SimulatedMachine m = machine(0.01, 3);
        InSituProfiler p = InSituProfiler.of(m, FAST, request(100), dir, (pgid, cpu) -> {
            throw new IOException("group " + pgid + " could not be moved onto CPU " + cpu);
        });
        InSituProfiler.FailedException e = assertThrows(InSituProfiler.FailedException.class, p::run);
        assertTrue(e.resumable());
        assertTrue(e.getMessage().startsWith("group 100 could not be moved onto CPU 0; the journal "), e.getMessage());
        assertTrue(e.getMessage().endsWith(" keeps the 12 windows measured"), e.getMessage());
        assertEquals(12, profiler(machine(0.01, 4), 200, FAST).run().resumed());
    }

    @Test
    void aJournalOfOtherSettingsIsNotReused() throws Exception {
        SimulatedMachine first = machine(0.01, 3);
        first.exitAfter(40);
        assertThrows(InSituProfiler.FailedException.class, () -> profiler(first, 100, FAST).run());
        InSituProfiler.Settings longer = new InSituProfiler.Settings(1, 6, FAST.levels(), 0.15, 3);
        assertEquals(0, profiler(machine(0.01, 4), 200, longer).run().resumed());
    }

    @Test
    void anUnreadableJournalIsSetAsideAndTheProfileStartsOver() throws Exception {
        Files.writeString(dir.resolve("job-7.json"), "{not json");
        InSituProfiler.Result r = profiler(machine(0.01, 5), 100, FAST).run();
        assertEquals(0, r.resumed());
        assertTrue(Files.exists(dir.resolve("job-7.json.bad")));
    }

    @Test
    void countersThatStallAreMeasuredAgain() throws Exception {
        SimulatedMachine m = machine(0.01, 6);
        InSituProfiler p = profiler(m, 100, FAST);
        m.stall(1); // the first read of the job's first window is the one after it: both read the same
        p.run();
        assertEquals(12 * 2 + 2, m.reads, "one window of the job read again: 12 windows of 2 reads, and 2 more");
    }

    @Test
    void countersThatNeverAdvanceFailTheProfileNamingWhy() throws Exception {
        SimulatedMachine m = machine(0.01, 6);
        m.stall(Integer.MAX_VALUE);
        InSituProfiler.FailedException e = assertThrows(InSituProfiler.FailedException.class,
                () -> profiler(m, 100, FAST).run());
        assertFalse(e.resumable());
        assertTrue(e.getMessage().matches("the counters of group 100 alone on CPU 0 did not advance .* \\(3 tries\\);"
                + " not profiled"), e.getMessage());
    }

    @Test
    void countersThatJumpOrGoBackAreMeasuredAgain() throws Exception {
        for (long by : new long[] {1_000_000_000_000L, -100_000_000_000L}) {
            SimulatedMachine m = machine(0.01, 7);
            m.jumpAfter(12 * 6 + 6 + 3, by); // inside the job's window beside int_port at 0.25
            InSituProfiler.Result r = profiler(m, 100, FAST).run();
            assertEquals(1 + 25 * 6, m.seconds(), 1e-6, "one window more, for " + by);
            assertEquals(0.6, r.profile().resources().get("int_port").sensitivity(), TOLERANCE);
        }
    }

    @Test
    void anInjectorThatDiesIsRestartedAndOneThatKeepsDyingFailsTheProfile() throws Exception {
        SimulatedMachine m = machine(0.01, 8);
        m.killInjectors("l1_dcache", 1);
        assertEquals(0.8, profiler(m, 100, FAST).run().profile().resources().get("l1_dcache").sensitivity(), TOLERANCE);

        SimulatedMachine n = machine(0.01, 8);
        n.killInjectors("l2_cache", 100);
        InSituProfiler.FailedException e = assertThrows(InSituProfiler.FailedException.class,
                () -> profiler(n, 100, FAST).run());
        assertTrue(e.getMessage().startsWith("l2_cache alone on CPU 1: it exited (3 tries); not profiled"), e.getMessage());
    }

    @Test
    void aJobThatChangesByPhaseIsRefusedWithItsSpread() throws Exception {
        SimulatedMachine m = machine(0.01, 9);
        m.phaseAfter(12 * 6 + 4 * 6, 0.6); // from the second injector's rate alone on, 40 % slower
        InSituProfiler.FailedException e = assertThrows(InSituProfiler.FailedException.class,
                () -> profiler(m, 100, FAST).run());
        assertFalse(e.resumable());
        assertTrue(e.getMessage().matches("job 7's rate alone spread 6\\d\\.\\d % between windows \\(.* instructions/s;"
                + " the bound is 15\\.0 %\\): it changes by phase, so its windows disagree; not profiled"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("job-7.json")), "a refused profile starts over");
    }

    @Test
    void timeAnotherTaskHoldsTheJobsCpuIsLeftOutOfItsRate() throws Exception {
        // The schedule (FAST, three levels): 12 injector windows of 6 s, then per injector 4
        // windows; the second injector's rate alone is the 17th window, from 96 s to 102 s.
        SimulatedMachine m = machine(0.01, 10);
        m.shareCpu(12 * 6 + 4 * 6, 6, 0.2, true);
        InSituProfiler.Result r = profiler(m, 100, FAST).run();
        assertEquals(2e9, r.soloMean(), 2e9 * 0.02);
        assertEquals(0.8, r.profile().resources().get("l1_dcache").sensitivity(), TOLERANCE);

        // Unseen by its run delay, the same share looks like a phase of the job.
        SimulatedMachine n = machine(0.01, 10);
        n.shareCpu(12 * 6 + 4 * 6, 6, 0.2, false);
        InSituProfiler.FailedException e = assertThrows(InSituProfiler.FailedException.class,
                () -> profiler(n, 100, FAST).run());
        assertTrue(e.getMessage().matches("job 7's rate alone spread (1[5-9]|2\\d)\\.\\d % between windows .*"),
                e.getMessage());
    }

    @Test
    void aWindowInWhichTheJobMostlyWaitedForItsCpuIsMeasuredAgain() throws Exception {
        // the second injector's rate alone: its window (97 s to 102 s) shared 70 %, the next try's not
        SimulatedMachine m = machine(0.01, 11);
        m.shareCpu(12 * 6 + 4 * 6 + 1, 5, 0.7, true);
        InSituProfiler.Result r = profiler(m, 100, FAST).run();
        assertEquals(12 * 2 + 2, m.reads, "one window of the job read again: 12 windows of 2 reads, and 2 more");
        assertEquals(2e9, r.soloMean(), 2e9 * 0.02);

        SimulatedMachine n = machine(0.01, 11);
        n.shareCpu(12 * 6 + 4 * 6 + 1, 1000, 0.7, true);
        InSituProfiler.FailedException e = assertThrows(InSituProfiler.FailedException.class,
                () -> profiler(n, 100, FAST).run());
        assertTrue(e.getMessage().matches("the counters of group 100 alone on CPU 0 waited for its CPU 70 % of the"
                + " window \\(other tasks ran there\\) \\(3 tries\\); not profiled"), e.getMessage());
    }

    @Test
    void settingsOutOfRangeNameTheirField() {
        List<Double> levels = List.of(0.5, 1.0);
        assertEquals("window: 0.0 s is not within (0, 3600]", assertThrows(IllegalArgumentException.class,
                () -> new InSituProfiler.Settings(1, 0, levels, 0.1, 3)).getMessage());
        assertEquals("warm-up: -1.0 s is not within 0 to 3600", assertThrows(IllegalArgumentException.class,
                () -> new InSituProfiler.Settings(-1, 1, levels, 0.1, 3)).getMessage());
        assertEquals("max spread: 1.5 is not within (0, 1)", assertThrows(IllegalArgumentException.class,
                () -> new InSituProfiler.Settings(1, 1, levels, 1.5, 3)).getMessage());
        assertEquals("attempts: 0 is less than 1", assertThrows(IllegalArgumentException.class,
                () -> new InSituProfiler.Settings(1, 1, levels, 0.1, 0)).getMessage());
    }
}
