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
    void learningStillGainsWithGroupsOfTwoWorkers() {
        // 12 workloads, 4 of two workers: 16 workers on 8 cores. The planner mostly spreads a group
        // of two over two cores beside two partners: those windows are ambiguous, and only the
        // groups' pairs with themselves or with one partner are learnt, so a seed may gain nothing.
        double modelOnly = 0;
        double learned = 0;
        for (long seed = 1; seed <= 5; seed++) {
            LearningScenario s = new LearningScenario(12, 4, 0.2, seed);
            LearningScenario.Learned l = s.learn(4 * HOURS, 10, 0.01, (round, host) -> { });
            String where = "seed " + seed + ": model-only " + s.modelOnly() + ", learned " + l.throughput() + ", oracle "
                    + s.oracle() + ", " + l.replans() + " re-plans, " + l.discards();
            assertTrue(l.throughput() <= s.oracle() + 1e-9, where);
            assertTrue(l.replans() <= 60, where);
            assertTrue(l.discards().ambiguous() > 0, where);
            assertEquals(0, l.discards().total() - l.discards().ambiguous(), where);
            modelOnly += s.modelOnly();
            learned += l.throughput();
        }
        assertTrue(learned > modelOnly, "learned " + learned + ", model-only " + modelOnly + " over 5 seeds");
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
        assertEquals(new CoRunObserver.Discards(0, 1, 1, 1, 1, 0), observer.discards());
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

    /** Two cores (CPUs 0, 1 and 2, 3) and four workloads of a model that errs; the groups' pgids are 1000 onwards. */
    private static final class Workers {
        final LearningScenario s = new LearningScenario(4, 0.2, 11);
        final io.smtcheck.model.ScoreTable table = new io.smtcheck.model.ScoreTable(s.model);
        final SimulatedHost host;
        final CoRunObserver observer = new CoRunObserver(s.topology, "m", 600, 60);
        final java.util.Map<Integer, java.util.List<Integer>> cpus = new java.util.HashMap<>();
        final java.util.List<io.smtcheck.model.ObservedSample> samples = new java.util.ArrayList<>();
        int round;

        /** {@code workers[i]} workers of workload i; noise as in {@link SimulatedHost}. */
        Workers(double noise, int... workers) {
            table.learnFrom(new ObservedSlowdowns(ObservedSlowdowns.DEFAULT_TRUST_SECONDS));
            host = new SimulatedHost(s.topology, s.truth, noise, 5);
            for (int i = 0; i < workers.length; i++) {
                table.put(LearningScenario.key(i), workload(i), s.profiles.get(i), workers[i]);
                host.start(1000 + i, i, s.profiles.get(i).singleIpc());
            }
        }

        String workload(int i) {
            return ObservedSlowdowns.workloadOf(s.profiles.get(i).jobId());
        }

        void place(int i, Integer... on) {
            cpus.put(1000 + i, java.util.List.of(on));
            host.place(1000 + i, java.util.List.of(on));
        }

        /** Group i exits. */
        void remove(int i) {
            cpus.remove(1000 + i);
            host.place(1000 + i, java.util.List.of());
        }

        /** {@code n} rounds of 10 s, every group placed so far observed on its CPUs. */
        void run(int n) {
            for (int end = round + n; round < end; round++) {
                host.sleep(10);
                java.util.List<CoRunObserver.Group> groups = new java.util.ArrayList<>();
                cpus.forEach((pgid, on) -> groups.add(new CoRunObserver.Group(pgid, s.profiles.get(pgid - 1000).jobId(),
                        on, true, s.profiles.get(pgid - 1000).singleIpc(), host.read(pgid))));
                samples.addAll(observer.observe(groups, table, java.time.Instant.ofEpochSecond(round * 10L)).samples());
            }
        }

        ObservedSlowdowns.Observed seen(int a, int b) {
            return table.observations().of(workload(a), workload(b)).orElseThrow(() -> new AssertionError(
                    "no observation of " + a + " beside " + b));
        }

        double truth(int a, int b) {
            return s.truth.slowdown()[a][b];
        }
    }

    /*
     * A group of two workers beside one partner: its count mixes a worker beside the partner with
     * one alone (or two beside it), and the attribution solves for the partner's slowdown. With 1 %
     * noise per window, the rate alone (one window alone) errs by about 1 %, which a worker beside
     * the partner and one alone doubles: 0.03 is that error's 1.5 sd, well under the model's error
     * of 0.2 that the observation is to correct.
     */
    private static final double RECOVERED = 0.03;

    @Test
    void aGroupOfTwoWorkersBesideOnePartnerRecoversItsSlowdown() {
        Workers w = new Workers(0.01, 2, 1, 2, 1);
        w.place(0, 0, 2);
        w.host.phase(1000, 0.6); // its rate alone is its window alone, not its profile's IPC alone
        w.run(10);
        w.place(1, 1); // beside group 0's worker on CPU 0; CPU 3 stays idle: the other worker is alone
        w.run(100);
        ObservedSlowdowns.Observed one = w.seen(0, 1);
        assertEquals(w.truth(0, 1), one.slowdown(), RECOVERED, one.toString());
        assertEquals(w.truth(1, 0), one.partnerSlowdown(), RECOVERED, one.toString());
        assertEquals(990, one.seconds(), 1e-6);
        assertEquals(java.util.Optional.of(1001), w.observer.partner(1000));

        // Then two groups of two workers share both cores: each is the other's one partner.
        w.remove(1);
        w.place(2, 1, 3);
        w.run(100);
        ObservedSlowdowns.Observed both = w.seen(0, 2);
        assertEquals(w.truth(0, 2), both.slowdown(), RECOVERED, both.toString());
        assertEquals(w.truth(2, 0), both.partnerSlowdown(), RECOVERED, both.toString());
        assertEquals(990, both.seconds(), 1e-6);
        assertEquals(0, w.observer.discards().total(), w.observer.discards().toString());

        // The samples name each pair's jobs in the order of their slowdowns: 600 s, then the rest when group 1 left.
        assertEquals(java.util.List.of("100 101 600.0", "100 101 390.0", "100 102 600.0"), w.samples.stream()
                .map(x -> x.jobA() + " " + x.jobB() + " " + x.seconds()).toList());
        for (io.smtcheck.model.ObservedSample x : w.samples) {
            int b = x.jobB() - 100;
            assertEquals(w.truth(0, b), x.slowdownA(), RECOVERED, x.toString());
            assertEquals(w.truth(b, 0), x.slowdownB(), RECOVERED, x.toString());
        }
    }

    @Test
    void aGroupBesideTwoPartnersIsAmbiguousAndChangesNoScore() {
        // Two workers beside two other workloads, one on each core.
        Workers w = new Workers(0.01, 2, 1, 1, 1);
        w.place(0, 0, 2);
        w.place(1, 1);
        w.place(2, 3);
        double[][] before = w.table.matrix();
        w.run(50);
        assertEquals(new CoRunObserver.Discards(0, 0, 0, 0, 0, 49), w.observer.discards());
        assertEquals(0, w.table.observations().pairs());
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, w.table.matrix());
        assertEquals(java.util.List.of(), w.samples);
        assertEquals(java.util.Optional.empty(), w.observer.partner(1000));

        // Three workers, two of them on one core and the third beside another workload.
        Workers three = new Workers(0.01, 3, 1, 1, 1);
        three.place(0, 0, 1, 2);
        three.place(1, 3);
        before = three.table.matrix();
        three.run(50);
        assertEquals(49, three.observer.discards().ambiguous());
        assertEquals(0, three.table.observations().pairs());
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, three.table.matrix());
    }

    @Test
    void aGroupBesideItselfIsThePairOfItsWorkload() {
        Workers w = new Workers(0.01, 2, 1, 1, 1);
        w.place(0, 0, 2);
        w.run(10);
        w.place(0, 0, 1); // both workers on core 0
        w.run(50);
        ObservedSlowdowns.Observed self = w.seen(0, 0);
        assertEquals(w.truth(0, 0), self.slowdown(), RECOVERED, self.toString());
        assertEquals(490, self.seconds(), 1e-6);
        assertEquals(java.util.Optional.of(1000), w.observer.partner(1000));
        double before = w.table.score(LearningScenario.key(0), LearningScenario.key(0));
        w.table.put("pgid:2000", w.workload(0), w.s.profiles.get(0), 2); // another instance of the job
        assertEquals(before, w.table.score(LearningScenario.key(0), "pgid:2000"), 1e-12);

        w.remove(0); // its run ends: one sample of the job beside itself
        w.run(1);
        assertEquals(1, w.samples.size(), w.samples.toString());
        io.smtcheck.model.ObservedSample x = w.samples.get(0);
        assertEquals("100 100 490.0", x.jobA() + " " + x.jobB() + " " + x.seconds());
        assertEquals(self.slowdown(), x.slowdownA(), 1e-9);
        assertEquals(self.slowdown(), x.slowdownB(), 1e-9);
    }
}
