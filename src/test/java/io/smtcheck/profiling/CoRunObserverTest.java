// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.model.ObservedSlowdowns;
import org.junit.jupiter.api.Test;

/**
 * Online learning on a simulated host ({@link SimulatedHost}) whose hidden slowdowns differ from a
 * model's predictions by Gaussian error of standard deviation 0.2: the observer's corrections
 * lead the re-planner to a plan of higher true throughput than the model's, within a bounded
 * number of re-plans, and bad counts are discarded and counted.
 */
class CoRunObserverTest {
    private static final double HOURS = 3600;

    @Test
    void learningBeatsTheModelWithinBoundedReplans() {
        for (long seed = 1; seed <= 5; seed++) {
            LearningScenario s = new LearningScenario(16, 0.2, seed);
            LearningScenario.Learned l = s.learn(4 * HOURS, 10, 0.01, (round, host) -> { });
            double modelOnly = s.modelOnly();
            String where = "seed " + seed + ": model-only " + modelOnly + ", learned " + l.throughput() + ", oracle "
                    + s.oracle() + ", " + l.replans() + " re-plans";
            assertTrue(l.throughput() > modelOnly, where);
            assertTrue(l.throughput() <= s.oracle() + 1e-9, where);
            // At most one plan a minute, and only while scores still move: far fewer than the 240 minutes allow.
            assertTrue(l.replans() <= 60, where);
            assertTrue(l.moving() <= l.replans(), where);
            assertEquals(0, l.discards().total(), where);
        }
    }

    @Test
    void badCountsAreDiscardedAndCountedAndLearningGoesOn() {
        LearningScenario s = new LearningScenario(16, 0.2, 3);
        LearningScenario.Learned clean = s.learn(4 * HOURS, 10, 0.01, (round, host) -> { });
        LearningScenario.Learned faulty = s.learn(4 * HOURS, 10, 0.01, (round, host) -> {
            if (round % 50 == 7) {
                // Reads that do not advance, twice; the window after catches up in cycles too, so its IPC holds.
                host.stall(1000 + round % 16, 2);
            }
            if (round % 90 == 11) {
                host.jump(1003, 50_000_000_000L);
            }
            if (round == 400) {
                host.stop(1005); // its counters stop: no window of it counts from now on
            }
        });
        CoRunObserver.Discards d = faulty.discards();
        assertEquals(1, d.stopped(), d.toString());
        // 29 stalls of 2 reads and 16 jumps, less those that fell on a window just begun (after a move) or a stop.
        assertTrue(d.unchanged() >= 50 && d.unchanged() <= 58, d.toString());
        assertTrue(d.jumped() >= 12 && d.jumped() <= 16, d.toString());
        assertTrue(faulty.throughput() > s.modelOnly(), "faulty " + faulty + ", clean " + clean);
    }

    @Test
    void aPhaseSeenAloneIsTheNewRateAlone() {
        // One core, one workload alone and then beside another; its rate alone halves in a phase.
        LearningScenario s = new LearningScenario(2, 0.0, 7);
        io.smtcheck.model.ScoreTable table = new io.smtcheck.model.ScoreTable(s.model);
        table.learnFrom(new ObservedSlowdowns(ObservedSlowdowns.DEFAULT_TRUST_SECONDS));
        for (int i = 0; i < 2; i++) {
            table.put(LearningScenario.key(i), ObservedSlowdowns.workloadOf(s.profiles.get(i).jobId()),
                    s.profiles.get(i), 1);
        }
        SimulatedHost host = new SimulatedHost(s.topology, s.truth, 0.0, 1);
        host.start(1000, 0, s.profiles.get(0).singleIpc());
        host.start(1001, 1, s.profiles.get(1).singleIpc());
        host.place(1000, 0);
        host.place(1001, -1);
        host.phase(1000, 0.5);
        CoRunObserver observer = new CoRunObserver(s.topology, "simulated", 600, 60);
        int[] cpuOf = {0, -1};
        for (int round = 0; round < 60; round++) {
            if (round == 10) {
                host.place(1001, 1);
                cpuOf[1] = 1;
            }
            host.sleep(10);
            java.util.List<CoRunObserver.Group> groups = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                groups.add(new CoRunObserver.Group(1000 + i, s.profiles.get(i).jobId(), cpuOf[i],
                        s.profiles.get(i).singleIpc(), host.read(1000 + i)));
            }
            observer.observe(groups, table, java.time.Instant.ofEpochSecond(round * 10L));
        }
        var seen = table.observations().of(ObservedSlowdowns.workloadOf(s.profiles.get(0).jobId()),
                ObservedSlowdowns.workloadOf(s.profiles.get(1).jobId())).orElseThrow();
        // Against its profile's IPC alone it would read as a slowdown of more than a half.
        assertEquals(s.truth.slowdown()[0][1], seen.slowdown(), 1e-6);
        assertEquals(490, seen.seconds(), 1e-6);
    }

    @Test
    void eachKindOfBadWindowIsCountedAsItsOwn() {
        LearningScenario s = new LearningScenario(2, 0.0, 9);
        io.smtcheck.model.ScoreTable table = new io.smtcheck.model.ScoreTable(s.model);
        table.learnFrom(new ObservedSlowdowns(ObservedSlowdowns.DEFAULT_TRUST_SECONDS));
        CoRunObserver observer = new CoRunObserver(s.topology, "m", 600, 60);
        // Two groups on the two CPUs of one core, both with a profile IPC alone of 1; cycles advance 1e9 a round.
        long[][] instructionsByRound = {
            {0, 0}, {800_000_000, 900_000_000}, // a window: slowdowns 0.2 and 0.1
            {1_600_000_000, 1_800_000_000}, // another
            {1_600_000_000, 3_100_000_000L}, // a did not advance; b ran at 1.3: faster than alone
            {1_500_000_000, 5_100_000_000L}, // a went back; b ran at 2: a jump
            {2_300_000_000L, 6_000_000_000L}, // a window again
        };
        for (int round = 0; round < instructionsByRound.length; round++) {
            long cycles = round * 1_000_000_000L;
            java.util.List<CoRunObserver.Group> groups = java.util.List.of(
                    new CoRunObserver.Group(1, 11, 0, 1.0, java.util.Optional.of(
                            new CounterSource.Reading(instructionsByRound[round][0], cycles, cycles))),
                    new CoRunObserver.Group(2, 12, 1, 1.0, java.util.Optional.of(
                            new CounterSource.Reading(instructionsByRound[round][1], cycles, cycles))));
            observer.observe(groups, table, java.time.Instant.ofEpochSecond(round));
        }
        assertEquals(new CoRunObserver.Discards(0, 1, 1, 1, 1), observer.discards());
        var seen = table.observations().of("job:11", "job:12").orElseThrow();
        assertEquals(3, seen.seconds(), 1e-9);
        assertEquals(0.2, seen.slowdown(), 1e-9);
        assertEquals(0.1, seen.partnerSlowdown(), 1e-9);
        // b's counts stop: counted, and the pair's run goes out as one sample of 3 s.
        CoRunObserver.Round last = observer.observe(java.util.List.of(
                new CoRunObserver.Group(1, 11, 0, 1.0, java.util.Optional.of(
                        new CounterSource.Reading(3_100_000_000L, 6_000_000_000L, 6_000_000_000L))),
                new CoRunObserver.Group(2, 12, 1, 1.0, java.util.Optional.empty())), table, java.time.Instant.ofEpochSecond(6));
        assertEquals(1, observer.discards().stopped());
        assertEquals(1, last.samples().size(), last.toString());
        io.smtcheck.model.ObservedSample out = last.samples().get(0);
        assertEquals("m 11 12 3.0 " + java.time.Instant.ofEpochSecond(6),
                out.machine() + " " + out.jobA() + " " + out.jobB() + " " + out.seconds() + " " + out.at());
        assertEquals(0.2, out.slowdownA(), 1e-9);
        assertEquals(0.1, out.slowdownB(), 1e-9);
    }
}
