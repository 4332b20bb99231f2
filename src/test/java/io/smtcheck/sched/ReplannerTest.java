// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        assertEquals(0, d2.placement().movesFrom(d1.placement()) - 1, "only the newcomer got a CPU set");
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
        Placement running = Placement.empty(t).fill(input(new String[] {"a", "b"}, new double[][] {{0, 1}, {1, 0}}))
                .fill(in);
        assertEquals(Map.of("a", List.of(0), "b", List.of(1), "c", List.of(2), "d", List.of(3)),
                running.cpusByWorkload());

        Replanner.Decision stay = new Replanner(t, 0.02).decide(in, running);
        assertFalse(stay.moved());
        assertEquals(0, stay.placement().movesFrom(running));
        assertEquals(2.0, stay.score(), 1e-12);
        assertEquals(2.03, stay.optimalScore(), 1e-12);

        Replanner.Decision move = new Replanner(t, 0.01).decide(in, running);
        assertTrue(move.moved());
        assertEquals(2.03, move.score(), 1e-12);
        // a keeps CPU 0 and d keeps CPU 3: the new pairs are laid where half of each already runs.
        assertEquals(2, move.placement().movesFrom(running));
    }

    @Test
    void alignmentKeepsUnchangedPairsWhereTheyAre() {
        Topology t = Topology.parse("0,1");
        PairingInput in = input(new String[] {"a", "b"}, new double[][] {{0, 1.5}, {1.5, 0}});
        Placement current = Placement.empty(t).fill(in);
        Placement optimal = Placement.of(Planner.plan(in, t, PlanMode.EXACT), t).alignedTo(current);
        assertEquals(0, optimal.movesFrom(current));
    }

    @Test
    void keptPlacementDropsDepartedWorkloads() {
        Topology t = Topology.parse("0,1");
        PairingInput two = input(new String[] {"a", "b"}, new double[][] {{0, 1.5}, {1.5, 0}});
        Placement p = Placement.empty(t).fill(two);
        PairingInput one = input(new String[] {"b"}, new double[][] {{0}});
        Replanner.Decision d = new Replanner(t, 0.02).decide(one, p);
        assertEquals(Map.of("b", List.of(1)), d.placement().cpusByWorkload(), "b stays on CPU 1");
        assertFalse(d.moved());
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
            if (!d.moved()) {
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
        assertFalse(d.moved());
        assertEquals(adopted.cpusByWorkload(), d.placement().cpusByWorkload());
    }
}
