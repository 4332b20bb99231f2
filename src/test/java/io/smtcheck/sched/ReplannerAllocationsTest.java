// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Plans within allocations: each Slurm job with part of the node placed only on its own CPUs. */
class ReplannerAllocationsTest {
    /** Four two-thread cores: 0,1; 2,3; 4,5; 6,7. */
    private static final Topology NODE = Topology.shape(
            List.of(List.of(0, 1), List.of(2, 3), List.of(4, 5), List.of(6, 7)));

    /**
     * a, b, c, d, one worker each, except a with two. Pairing b with c is by far the best pair,
     * a with itself the worst.
     */
    private static PairingInput input() {
        double[][] s = {
            {0.2, 1.0, 1.0, 1.0},
            {1.0, 0.2, 1.9, 1.1},
            {1.0, 1.9, 0.2, 1.2},
            {1.0, 1.1, 1.2, 0.2},
        };
        return new PairingInput(List.of("a", "b", "c", "d"), new int[] {2, 1, 1, 1}, s, 0.6);
    }

    private static List<Integer> cpusOf(Topology t) {
        return t.allCpus();
    }

    @Test
    void eachAllocationIsAPartOfItsOwnAndTheRestGetTheCoresInNone() {
        // a has core 2,3; b only CPU 4 of core 4,5; c and d may go anywhere else.
        Map<String, Set<Integer>> allowed = Map.of("a", Set.of(2, 3), "b", Set.of(4));
        List<Replanner.Part> parts = Replanner.parts(input(), NODE, allowed);
        assertEquals(3, parts.size());
        assertEquals("2,3", parts.get(0).topology().toString());
        assertEquals(List.of("a"), parts.get(0).input().ids());
        assertEquals("4", parts.get(1).topology().toString(), "a core partly inside counts with its CPUs inside alone");
        assertEquals(List.of("b"), parts.get(1).input().ids());
        assertEquals("0,1;6,7", parts.get(2).topology().toString(), "core 4,5 holds CPUs of an allocation");
        assertEquals(List.of("c", "d"), parts.get(2).input().ids());
        assertEquals(1.2, parts.get(2).input().score(0, 1));
    }

    @Test
    void workloadsArePlacedOnlyWithinTheirAllocation() {
        Map<String, Set<Integer>> allowed = Map.of("a", Set.of(2, 3), "b", Set.of(4));
        Replanner r = new Replanner(NODE, 0.02);
        Replanner.Decision d = r.decide(input(), Placement.empty(NODE), allowed);
        Map<String, List<Integer>> cpus = d.placement().cpusByWorkload();
        assertEquals(List.of(2, 3), cpus.get("a"), "its two workers fill its core");
        assertEquals(List.of(4), cpus.get("b"), "alone on its one CPU, though b with c is the best pair");
        assertTrue(Set.of(0, 1, 6, 7).containsAll(cpus.get("c")), "c: " + cpus.get("c"));
        assertTrue(Set.of(0, 1, 6, 7).containsAll(cpus.get("d")), "d: " + cpus.get("d"));
        assertEquals(d.placement().topology(), NODE, "the merged placement is on the whole topology");

        // The sums of the parts, each planned on its own.
        double score = 0;
        double optimal = 0;
        for (Replanner.Part p : Replanner.parts(input(), NODE, allowed)) {
            Replanner.Decision alone = new Replanner(p.topology(), 0.02).decide(p.input(), Placement.empty(p.topology()));
            score += alone.score();
            optimal += alone.optimalScore();
        }
        assertEquals(score, d.score(), 1e-12);
        assertEquals(optimal, d.optimalScore(), 1e-12);
        // a paired with itself (0.2), b alone (0.6), c and d: 1.2 paired or 0.6 + 0.6 apart.
        assertTrue(d.score() >= 0.2 + 0.6 + 1.2 - 1e-9, "score " + d.score());
    }

    @Test
    void aWorkloadRunningWithinItsAllocationStaysThere() {
        Map<String, Set<Integer>> allowed = Map.of("a", Set.of(2, 3), "b", Set.of(4));
        Replanner r = new Replanner(NODE, 0.02);
        Replanner.Decision first = r.decide(input(), Placement.empty(NODE), allowed);
        Replanner.Decision again = r.decide(input(), first.placement(), allowed);
        assertEquals(first.placement().cpusByWorkload(), again.placement().cpusByWorkload());
        assertEquals(0, again.moved());
        assertEquals(again.score(), again.keptScore(), 1e-12);
    }

    @Test
    void withoutAllocationsItIsThePlanOfTheWholeTopology() {
        Replanner r = new Replanner(NODE, 0.02);
        Replanner.Decision whole = r.decide(input(), Placement.empty(NODE));
        Replanner.Decision none = r.decide(input(), Placement.empty(NODE), Map.of());
        assertEquals(whole.placement().cpusByWorkload(), none.placement().cpusByWorkload());
        assertEquals(whole.score(), none.score());
        assertEquals(Replanner.unpinnedScore(input(), NODE), Replanner.unpinnedScore(input(), NODE, Map.of()));
        assertTrue(whole.placement().cpusByWorkload().get("b").size() == 1);
    }

    @Test
    void workloadsWithNoCoreLeftStayUnplaced() {
        // Every core holds CPUs of a's allocation: b, c and d have nowhere to go.
        Map<String, Set<Integer>> allowed = Map.of("a", Set.of(0, 2, 4, 6));
        Replanner.Decision d = new Replanner(NODE, 0.02).decide(input(), Placement.empty(NODE), allowed);
        Map<String, List<Integer>> cpus = d.placement().cpusByWorkload();
        assertEquals(Set.of("a"), cpus.keySet());
        assertEquals(2, cpus.get("a").size());
        assertTrue(Set.of(0, 2, 4, 6).containsAll(cpus.get("a")));
        assertEquals(0.6 + 0.6, d.score(), 1e-12, "each worker alone on a one-CPU core");
    }

    @Test
    void theUnpinnedScoreIsSummedOverTheParts() {
        Map<String, Set<Integer>> allowed = Map.of("a", Set.of(2, 3), "b", Set.of(4));
        double sum = 0;
        for (Replanner.Part p : Replanner.parts(input(), NODE, allowed)) {
            sum += Replanner.unpinnedScore(p.input(), p.topology());
        }
        assertEquals(sum, Replanner.unpinnedScore(input(), NODE, allowed), 1e-12);
        // a: both workers on core 2,3 (0.2); b alone (0.6); c and d on two idle cores (0.6 each).
        assertEquals(0.2 + 0.6 + 1.2, sum, 1e-12);
    }

    @Test
    void aPlanOnTheTopologyLessALentCoreKeepsOffItAndWithinWhatIsLeftOfAnAllocation() {
        // Core 2,3 is lent, and CPU 5 is held by the group profiled there; b's allocation is 3,4.
        Topology open = NODE.without(Set.of(2, 3, 5));
        assertEquals("0,1;4;6,7", open.toString(), "a core keeps its other CPUs, one left with none goes");
        PairingInput rest = input().subset(List.of("b", "c", "d"));
        Map<String, Set<Integer>> allowed = Map.of("b", Set.of(4));
        Replanner.Decision d = new Replanner(open, 0.02).decide(rest, Placement.empty(open), allowed);
        Map<String, List<Integer>> cpus = d.placement().cpusByWorkload();
        assertEquals(List.of(4), cpus.get("b"), "the part of its allocation not lent");
        assertEquals(Set.of("b", "c", "d"), cpus.keySet());
        for (String id : List.of("c", "d")) {
            assertTrue(Set.of(0, 1, 6, 7).containsAll(cpus.get(id)), id + ": " + cpus.get(id));
        }
        assertEquals(0.6 + 1.2, Replanner.unpinnedScore(rest, open, allowed), 1e-12,
                "b alone; c and d on the two idle cores left");
        assertEquals(0, NODE.without(NODE.allCpus()).coreCount());
    }

    @Test
    void allocationsThatShareACpuAreRefused() {
        Map<String, Set<Integer>> allowed = Map.of("a", Set.of(2, 3), "b", Set.of(3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Replanner.parts(input(), NODE, allowed));
        assertTrue(e.getMessage().contains("share CPU 3"), e.getMessage());
        // One allocation for several workloads is one part.
        List<Replanner.Part> parts = Replanner.parts(input(), NODE, Map.of("a", Set.of(2, 3), "b", Set.of(3, 2)));
        assertEquals(List.of("a", "b"), parts.get(0).input().ids());
        assertEquals(List.of(2, 3), cpusOf(parts.get(0).topology()));
    }

    @Test
    void aSubsetKeepsTheOrderWorkersAndScoresOfItsWorkloads() {
        PairingInput s = input().subset(List.of("d", "b"));
        assertEquals(List.of("b", "d"), s.ids());
        assertEquals(1, s.workers()[0]);
        assertEquals(1.1, s.score(0, 1));
        assertEquals(0.2, s.score(1, 1));
        assertEquals(0.6, s.solo());
        assertEquals(0, input().subset(List.of()).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> input().subset(List.of("b", "z")));
        assertEquals("workload id 'z' is not one of the input's", e.getMessage());
    }
}
