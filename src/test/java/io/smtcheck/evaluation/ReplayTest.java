// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.sched.Topology;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Small replays whose outcome is worked out by hand in each test, from the simulation's rules
 * (speed 1 alone, 1 − slowdown beside another thread, 0 waiting).
 */
class ReplayTest {
    private static final double EPS = 1e-9;

    private static Topology cores(int n) {
        List<List<Integer>> shape = new java.util.ArrayList<>();
        for (int c = 0; c < n; c++) {
            shape.add(List.of(2 * c, 2 * c + 1));
        }
        return Topology.shape(shape);
    }

    private static RunResult run(Topology host, SlowdownMatrix m, String trace, Policy p) {
        Replay replay = new Replay(host, m, 1, 0.02, 1000, true);
        return replay.run(Trace.parse(trace, "t"), p, () -> Scores.truth(m));
    }

    /** a is slowed by half beside b, b by a quarter beside a. */
    private static final SlowdownMatrix AB = new SlowdownMatrix(List.of("a", "b"),
            new double[][] {{0.4, 0.5}, {0.25, 0.4}});

    @Test
    void twoJobsSharingOneCore() {
        // Both start at 0 on the one core: a at 0.5, b at 0.75. b ends at 10 / 0.75 = 13.333..;
        // a has done 6.666.. and finishes the 3.333.. left alone at speed 1: at 16.666...
        for (Policy p : List.of(Policy.LINUX, Policy.RANDOM, Policy.ORACLE, Policy.SMTCHECK)) {
            RunResult r = run(cores(1), AB, "0 10 1 a\n0 10 1 b\n", p);
            double endB = 10 / 0.75;
            double endA = endB + (10 - 0.5 * endB);
            assertEquals(endA, r.jobs().get(0).end(), EPS, p.label());
            assertEquals(endB, r.jobs().get(1).end(), EPS, p.label());
            assertEquals(10 / endA + 10 / endB, r.stp(), EPS, p.label());
            assertEquals((endA / 10 + endB / 10) / 2, r.antt(), EPS, p.label());
            assertEquals(endA, r.makespan(), EPS, p.label());
            assertEquals(20 / endA, r.workRate(), EPS, p.label());
        }
    }

    @Test
    void smtOffRunsOneThreadPerCore() {
        // One hardware thread: a runs 0..10, b waits and runs 10..20.
        RunResult r = run(cores(1), AB, "0 10 1 a\n0 10 1 b\n", Policy.SMT_OFF);
        assertEquals(10, r.jobs().get(0).end(), EPS);
        assertEquals(20, r.jobs().get(1).end(), EPS);
        assertEquals(1 + 0.5, r.stp(), EPS);
        assertEquals((1 + 2) / 2.0, r.antt(), EPS);
        assertEquals(2, r.pins());
        assertEquals(0, r.migrations());
        assertEquals(List.of(0), nonIdle(r.timeline().get(0)));
    }

    @Test
    void aLateArrivalSharesWhatIsLeft() {
        // a alone 0..5 (5 done); b arrives at 5 with 5 to do; both at 0.5 (symmetric 0.5): 10 s more, both end at 15.
        SlowdownMatrix m = new SlowdownMatrix(List.of("a", "b"), new double[][] {{0.5, 0.5}, {0.5, 0.5}});
        RunResult r = run(cores(1), m, "0 10 1 a\n5 5 1 b\n", Policy.ORACLE);
        assertEquals(15, r.jobs().get(0).end(), EPS);
        assertEquals(15, r.jobs().get(1).end(), EPS);
        assertEquals(10 / 15.0 + 5 / 10.0, r.stp(), EPS);
        assertEquals((15 / 10.0 + 10 / 5.0) / 2, r.antt(), EPS);
        assertEquals(2, r.plans());
    }

    /** a with b and c with d lose 20 %; any other pair loses 60 %. */
    private static final SlowdownMatrix PAIRS = new SlowdownMatrix(List.of("a", "b", "c", "d"), new double[][] {
        {0.5, 0.2, 0.6, 0.6}, {0.2, 0.5, 0.6, 0.6}, {0.6, 0.6, 0.5, 0.2}, {0.6, 0.6, 0.2, 0.5}});
    private static final String FOUR = "0 10 1 a\n0 10 1 c\n0 10 1 b\n0 10 1 d\n";

    @Test
    void theOraclePairsTheGoodPartners() {
        // a+b and c+d, all at 0.8: every job ends at 12.5.
        for (Policy p : List.of(Policy.ORACLE, Policy.SMTCHECK)) {
            RunResult r = run(cores(2), PAIRS, FOUR, p);
            for (RunResult.JobOutcome o : r.jobs()) {
                assertEquals(12.5, o.end(), EPS, p.label() + " " + o.job().payload());
            }
            assertEquals(4 * 0.8, r.stp(), EPS);
            assertEquals(1.25, r.antt(), EPS);
            assertEquals(40 / 12.5, r.workRate(), EPS);
            assertEquals(4, r.pins());
            assertEquals(1, r.plans());
        }
    }

    @Test
    void randomPairingAndLinuxDoNoBetterThanTheOracle() {
        RunResult oracle = run(cores(2), PAIRS, FOUR, Policy.ORACLE);
        for (Policy p : List.of(Policy.LINUX, Policy.RANDOM)) {
            RunResult r = run(cores(2), PAIRS, FOUR, p);
            assertEquals(4, r.finishedJobs().size());
            assertTrue(r.stp() <= oracle.stp() + EPS, p.label() + " " + r.stp());
        }
    }

    @Test
    void smtOffWithTwoCoresRunsTwoAtATime() {
        // a and c on the cores' first threads 0..10, then b and d 10..20.
        RunResult r = run(cores(2), PAIRS, FOUR, Policy.SMT_OFF);
        assertEquals(List.of(10.0, 10.0, 20.0, 20.0), r.jobs().stream().map(RunResult.JobOutcome::end).toList());
        assertEquals(1 + 1 + 0.5 + 0.5, r.stp(), EPS);
        assertEquals(1.5, r.antt(), EPS);
        assertEquals(List.of(0, 2), nonIdle(r.timeline().get(0)));
    }

    @Test
    void aJobThatNeverEndsStopsAtTheTimeLimit() {
        SlowdownMatrix stuck = new SlowdownMatrix(List.of("a", "b"), new double[][] {{1, 1}, {1, 1}});
        Replay replay = new Replay(cores(1), stuck, 1, 0.02, 50, false);
        RunResult r = replay.run(Trace.parse("0 10 1 a\n0 10 1 b\n", "t"), Policy.ORACLE, () -> Scores.truth(stuck));
        assertEquals(2, r.unfinished());
        assertFalse(r.jobs().get(0).finished());
        assertEquals(50, r.makespan(), EPS);
    }

    @Test
    void aPayloadOutsideTheMatrixIsRefusedWithItsLine() {
        Replay replay = new Replay(cores(1), AB, 1, 0.02, 50, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> replay.run(Trace.parse("# header\n0 10 1 a\n1 10 1 zz\n", "t"), Policy.LINUX, () -> Scores.truth(AB)));
        assertEquals("trace: line 3: payload: 'zz' is not a workload of the slowdown matrix", e.getMessage());
    }

    @Test
    void theSameSeedGivesTheSameRunAndLinuxRedrawsAtEachEvent() {
        Trace t = LoadGenerator.generate(3, 40, 2, List.of("a", "b", "c", "d"), 1, 5);
        Replay replay = new Replay(cores(3), PAIRS, 9, 0.02, 1000, true);
        RunResult one = replay.run(t, Policy.LINUX, () -> Scores.truth(PAIRS));
        List<Integer> ended = new java.util.ArrayList<>();
        RunResult two = replay.run(t, Policy.LINUX, () -> Scores.truth(PAIRS), ended::add);
        assertEquals(40, ended.get(ended.size() - 1));
        assertEquals(ended.stream().sorted().distinct().toList(), ended, "counts that only grow");
        assertEquals(one.jobs(), two.jobs());
        assertEquals(one.migrations(), two.migrations());
        assertTrue(one.migrations() > 0, "Linux's model moves threads at events");
        assertEquals(0, one.pins());
    }

    private static List<Integer> nonIdle(RunResult.TimelinePoint p) {
        List<Integer> out = new java.util.ArrayList<>();
        for (int k = 0; k < p.jobOnCpu().length; k++) {
            if (p.jobOnCpu()[k] != null) {
                out.add(k);
            }
        }
        return out;
    }
}
