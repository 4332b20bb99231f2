// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlannerTest {
    private static final double[][] FOUR = {
        {0.0, 1.9, 0.5, 0.4},
        {1.9, 0.0, 0.6, 0.3},
        {0.5, 0.6, 0.0, 1.2},
        {0.4, 0.3, 1.2, 0.0},
    };

    @Test
    void choosesTheBestPairsAndTotalsFromTheMatrix() {
        Topology topo = Topology.parse("0,1");
        PairingInput in = new PairingInput(List.of("a", "b", "c", "d"), new int[] {1, 1, 1, 1}, FOUR, 0.0);
        for (PlanMode mode : PlanMode.values()) {
            Plan plan = Planner.plan(in, topo, mode);
            assertEquals(1, plan.cores().size());
            assertEquals(List.of("a", "b"), plan.cores().get(0).workloads());
            assertEquals(1.9, plan.total(), 1e-12);
            assertEquals(List.of(new Plan.Unplaced("c", 1), new Plan.Unplaced("d", 1)), plan.unplaced());
            assertTrue(plan.mode() != PlanMode.AUTO);
        }
    }

    @Test
    void cpusFollowThePlacement() {
        Topology topo = Topology.parse("0,1");
        PairingInput in = new PairingInput(List.of("x"), new int[] {2}, new double[][] {{1.5}}, 0.2);
        Plan plan = Planner.plan(in, topo, PlanMode.EXACT);
        assertEquals(List.of("x", "x"), plan.cores().get(0).workloads());
        assertEquals(List.of(0, 1), plan.cpusByWorkload().get("x"));
        assertEquals(1.5, plan.total());
    }

    /** Workers beyond the hardware threads could never be placed: they are left out of planning, not planned. */
    @Test
    void workersBeyondTheHardwareThreadsAreReportedUnplacedWithoutBeingPlanned() {
        Topology topo = Topology.shape(List.of(List.of(0, 1), List.of(2, 3)));
        double[][] scores = {{1.5, 1.0}, {1.0, 1.2}};
        PairingInput many = new PairingInput(List.of("x", "y"), new int[] {Integer.MAX_VALUE, 100_000}, scores, 0.2);
        Plan plan = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Planner.plan(many, topo, PlanMode.AUTO));
        Plan asMany = Planner.plan(new PairingInput(List.of("x", "y"), new int[] {4, 4}, scores, 0.2), topo, PlanMode.AUTO);
        assertEquals(asMany.cores(), plan.cores());
        assertEquals(asMany.total(), plan.total());
        assertEquals(List.of(new Plan.Unplaced("x", Integer.MAX_VALUE - 4), new Plan.Unplaced("y", 100_000)), plan.unplaced());
    }

    @Test
    void inputIsValidatedWithNames() {
        List<String> ab = List.of("a", "b");
        int[] one = {1, 1};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PairingInput(ab, one, new double[][] {{0, 1}, {0.5, 0}}, 0));
        assertEquals("score matrix is not symmetric: 'a' with 'b' is 1.0 but the reverse is 0.5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new PairingInput(ab, one, new double[][] {{0, Double.NaN}, {Double.NaN, 0}}, 0));
        assertEquals("score of 'a' with 'b' is NaN", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new PairingInput(ab, new int[] {1, -2}, new double[][] {{0, 1}, {1, 0}}, 0));
        assertEquals("workload 'b' has -2 workers; at least 1 is needed", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new PairingInput(List.of("a", "a"), one, new double[][] {{0, 1}, {1, 0}}, 0));
        assertEquals("workload id 'a' appears twice", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new PairingInput(ab, one, new double[][] {{0, 1}, {1}}, 0));
        assertTrue(e.getMessage().startsWith("score matrix row 1 ('b') has 1 entries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new PairingInput(ab, one, new double[][] {{0, 1}, {1, 0}}, Double.POSITIVE_INFINITY));
        assertEquals("solo score is Infinity", e.getMessage());
    }
}
