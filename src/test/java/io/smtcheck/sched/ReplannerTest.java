// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplannerTest {
    private static PairingInput input(String[] ids, double[][] s) {
        int[] workers = new int[ids.length];
        java.util.Arrays.fill(workers, 1);
        return new PairingInput(List.of(ids), workers, s, 0.5);
    }

    /** How many workloads have a different CPU set in {@code to} than in {@code from}. */
    private static int movesFrom(Placement to, Placement from) {
        Map<String, List<Integer>> a = from.cpusByWorkload();
        int moves = 0;
        for (var e : to.cpusByWorkload().entrySet()) {
            if (!e.getValue().equals(a.get(e.getKey()))) {
                moves++;
            }
        }
        return moves;
    }

    private static Placement running(Topology t, Object... idAndCpu) {
        Map<String, List<Integer>> cpus = new java.util.LinkedHashMap<>();
        for (int i = 0; i < idAndCpu.length; i += 2) {
            cpus.computeIfAbsent((String) idAndCpu[i], k -> new ArrayList<>()).add((Integer) idAndCpu[i + 1]);
        }
        return Placement.ofCpus(cpus, t);
    }

    @Test
    void newcomerJoinsWithoutMovingAnyone() {
        Topology t = Topology.parse("0,1");
        Replanner r = new Replanner(t, 0.02);
        PairingInput one = input(new String[] {"a"}, new double[][] {{0}});
        Replanner.Decision d1 = r.decide(one, Placement.empty(t));
        assertEquals(Map.of("a", List.of(0)), d1.placement().cpusByWorkload());
        PairingInput two = input(new String[] {"a", "b"}, new double[][] {{0, 1.5}, {1.5, 0}});
        Replanner.Decision d2 = r.decide(two, d1.placement());
        assertEquals(Map.of("a", List.of(0), "b", List.of(1)), d2.placement().cpusByWorkload());
        assertEquals(0, movesFrom(d2.placement(), d1.placement()) - 1, "only the newcomer got a CPU set");
        assertEquals(0, d2.moved());
        assertEquals(1.5, d2.score());
    }

    @Test
    void movesOnlyWhenTheGainPassesTheThreshold() {
        Topology t = Topology.shape(List.of(List.of(0, 1), List.of(2, 3)));
        // Running: (a,b) and (c,d) = 2.0; the optimum (a,c) + (b,d) = 2.03 is 1.5 % better.
        double[][] s = {
            {0, 1.0, 1.015, 0},
            {1.0, 0, 0, 1.015},
            {1.015, 0, 0, 1.0},
            {0, 1.015, 1.0, 0},
        };
        PairingInput in = input(new String[] {"a", "b", "c", "d"}, s);
        Placement running = running(t, "a", 0, "b", 1, "c", 2, "d", 3);
        assertEquals(Map.of("a", List.of(0), "b", List.of(1), "c", List.of(2), "d", List.of(3)),
                running.cpusByWorkload());

        Replanner.Decision stay = new Replanner(t, 0.02).decide(in, running);
        assertEquals(0, stay.moved());
        assertEquals(0, movesFrom(stay.placement(), running));
        assertEquals(2.0, stay.score(), 1e-12);
        assertEquals(2.03, stay.optimalScore(), 1e-12);

        Replanner.Decision move = new Replanner(t, 0.01).decide(in, running);
        assertEquals(2, move.moved());
        assertEquals(2.03, move.score(), 1e-12);
        // a keeps CPU 0 and d keeps CPU 3: the new pairs are laid where half of each already runs.
        assertEquals(2, movesFrom(move.placement(), running));
    }

    @Test
    void alignmentKeepsUnchangedPairsWhereTheyAre() {
        Topology t = Topology.parse("0,1");
        PairingInput in = input(new String[] {"a", "b"}, new double[][] {{0, 1.5}, {1.5, 0}});
        Placement current = running(t, "a", 0, "b", 1);
        Replanner.Decision optimal = new Replanner(t, 0).decide(in, current);
        assertEquals(1.5, optimal.optimalScore());
        assertEquals(0, movesFrom(optimal.placement(), current));
    }

    @Test
    void keptPlacementDropsDepartedWorkloads() {
        Topology t = Topology.parse("0,1");
        PairingInput two = input(new String[] {"a", "b"}, new double[][] {{0, 1.5}, {1.5, 0}});
        Placement p = running(t, "a", 0, "b", 1);
        assertEquals(1.5, p.score(two));
        PairingInput one = input(new String[] {"b"}, new double[][] {{0}});
        Replanner.Decision d = new Replanner(t, 0.02).decide(one, p);
        assertEquals(Map.of("b", List.of(1)), d.placement().cpusByWorkload(), "b stays on CPU 1");
        assertEquals(0, d.moved());
    }

    @Test
    void rejectsABadThreshold() {
        Topology t = Topology.parse("0,1");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new Replanner(t, -1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new Replanner(t, Double.NaN));
    }

    @Test
    void decisionsAreValidAndNeverWorseThanKeeping() {
        Topology t = Topology.parse("0,1");
        Random rnd = new Random(3);
        Replanner r = new Replanner(t, 0.05);
        Placement current = Placement.empty(t);
        List<String> live = new ArrayList<>();
        for (int step = 0; step < 200; step++) {
            if (live.size() < 3 || rnd.nextBoolean() && live.size() < 6) {
                live.add("w" + step);
            } else {
                live.remove(rnd.nextInt(live.size()));
            }
            int n = live.size();
            double[][] s = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    s[i][j] = s[j][i] = 2 * rnd.nextDouble();
                }
            }
            PairingInput in = input(live.toArray(new String[0]), s);
            Replanner.Decision d = r.decide(in, current);
            assertTrue(d.score() >= d.keptScore() - 1e-9);
            assertTrue(d.optimalScore() >= d.keptScore() - 1e-9, "the optimum is at least as good as keeping");
            int placed = d.placement().cpusByWorkload().values().stream().mapToInt(List::size).sum();
            assertEquals(Math.min(n, t.hardwareThreads()), placed);
            if (d.moved() == 0) {
                // Nobody who stayed changed CPUs.
                Map<String, List<Integer>> before = current.cpusByWorkload();
                d.placement().cpusByWorkload().forEach((id, cpus) -> {
                    if (before.containsKey(id)) {
                        assertEquals(before.get(id), cpus, id);
                    }
                });
            }
            current = d.placement();
        }
    }

    @Test
    void placementOfRunningCpusIsKeptBelowTheThreshold() {
        Topology t = Topology.shape(List.of(List.of(0, 1), List.of(2, 3)));
        Map<String, List<Integer>> running = new java.util.LinkedHashMap<>();
        running.put("a", List.of(0));
        running.put("b", List.of(1));
        running.put("c", List.of(2));
        running.put("d", List.of(3));
        running.put("e", List.of(3));    // taken already: left out
        running.put("f", List.of(2, 9)); // a CPU outside the topology: left out whole
        Placement adopted = Placement.ofCpus(running, t);
        assertEquals(Map.of("a", List.of(0), "b", List.of(1), "c", List.of(2), "d", List.of(3)),
                adopted.cpusByWorkload());
        double[][] s = {
            {0, 1.0, 1.015, 0},
            {1.0, 0, 0, 1.015},
            {1.015, 0, 0, 1.0},
            {0, 1.015, 1.0, 0},
        };
        Replanner.Decision d = new Replanner(t, 0.02).decide(input(new String[] {"a", "b", "c", "d"}, s), adopted);
        assertEquals(0, d.moved());
        assertEquals(adopted.cpusByWorkload(), d.placement().cpusByWorkload());
    }

    @Test
    void movesThePairsWhoseGainPaysAndKeepsTheRest() {
        Topology t = Topology.shape(List.of(List.of(0, 1), List.of(2, 3), List.of(4, 5), List.of(6, 7)));
        String[] ids = {"a", "b", "c", "d", "e", "f", "g", "h"};
        double[][] s = new double[8][8];
        java.util.function.BiConsumer<int[], Double> set = (p, v) -> s[p[0]][p[1]] = s[p[1]][p[0]] = v;
        // a,b,c,d gain 1.0 by swapping partners; e,f,g,h only 0.01.
        set.accept(new int[] {0, 1}, 1.0);
        set.accept(new int[] {2, 3}, 1.0);
        set.accept(new int[] {0, 2}, 1.5);
        set.accept(new int[] {1, 3}, 1.5);
        set.accept(new int[] {4, 5}, 1.0);
        set.accept(new int[] {6, 7}, 1.0);
        set.accept(new int[] {4, 6}, 1.005);
        set.accept(new int[] {5, 7}, 1.005);
        PairingInput in = input(ids, s);
        Placement now = running(t, "a", 0, "b", 1, "c", 2, "d", 3, "e", 4, "f", 5, "g", 6, "h", 7);
        Replanner r = new Replanner(t, 0.02);
        assertEquals(0.02, r.migrationCost(in, now), 1e-12, "2 % of the mean core score, 1.0");
        Replanner.Decision d = r.decide(in, now);
        assertEquals(2, d.moved());
        assertEquals(5.0, d.score(), 1e-12);
        assertEquals(4.0, d.keptScore(), 1e-12);
        assertEquals(5.01, d.optimalScore(), 1e-12);
        Map<String, List<Integer>> cpus = d.placement().cpusByWorkload();
        assertEquals(List.of(0), cpus.get("a"));
        assertEquals(List.of(3), cpus.get("d"));
        assertEquals(List.of(1), cpus.get("c"));
        assertEquals(List.of(2), cpus.get("b"));
        for (String kept : List.of("e", "f", "g", "h")) {
            assertEquals(now.cpusByWorkload().get(kept), cpus.get(kept), kept);
        }
        // With no cost every pair moves to the optimum.
        Replanner.Decision free = new Replanner(t, 0).decide(in, now);
        assertEquals(5.01, free.score(), 1e-12);
        assertEquals(4, free.moved());
    }

    @Test
    void withoutPinningThreadsTakeIdleCoresFirstThenPairAtRandom() {
        Topology t = Topology.shape(List.of(List.of(0, 1), List.of(2, 3)));
        double[][] s = {{0, 1.2, 1.6}, {1.2, 0, 1.4}, {1.6, 1.4, 0}};
        PairingInput three = input(new String[] {"a", "b", "c"}, s);
        // Three threads on two cores: one alone (solo 0.5), one pair, each of the three pairs as likely.
        assertEquals(0.5 + (1.2 + 1.6 + 1.4) / 3, Replanner.unpinnedScore(three, t), 1e-12);
        PairingInput two = input(new String[] {"a", "b"}, new double[][] {{0, 1.2}, {1.2, 0}});
        assertEquals(2 * 0.5, Replanner.unpinnedScore(two, t), 1e-12, "two threads, two idle cores: no sharing");
        // A workload of two workers may share a core with itself: its diagonal counts for its own pair.
        PairingInput wide = new PairingInput(List.of("w", "x", "y"), new int[] {2, 1, 1},
                new double[][] {{1.8, 1.2, 1.0}, {1.2, 0, 1.4}, {1.0, 1.4, 0}}, 0.5);
        double meanPair = (1.8 + 2 * 1.2 + 2 * 1.0 + 1.4) / 6; // threads w1 w2 x y: six pairs
        assertEquals(2 * meanPair, Replanner.unpinnedScore(wide, t), 1e-12, "four threads on four: two pairs");
    }

    @Test
    void threadsBeyondTheHardwareThreadsAddNothingWithoutPinning() {
        Topology t = Topology.shape(List.of(List.of(0, 1)));
        double[][] s = {{0, 1.2, 1.6}, {1.2, 0, 1.4}, {1.6, 1.4, 0}};
        assertEquals((1.2 + 1.6 + 1.4) / 3, Replanner.unpinnedScore(input(new String[] {"a", "b", "c"}, s), t), 1e-12);
    }
}
