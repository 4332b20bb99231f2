// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.smtcheck.sched.Topology;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Status's `partner`: the one group on the siblings of a group's CPUs, as Attribution counts a window. */
class StatusPartnerTest {
    private static final Topology FOUR_CORES = Topology.shape(
            List.of(List.of(0, 4), List.of(1, 5), List.of(2, 6), List.of(3, 7)));

    private static String partner(String self, Map<String, List<Integer>> placed) {
        Map<Integer, String> onCpu = new HashMap<>();
        placed.forEach((g, cpus) -> cpus.forEach(c -> onCpu.put(c, g)));
        return StatusAssembly.partner(self, placed.get(self), FOUR_CORES, onCpu);
    }

    @Test
    void aGroupOfOneCpuHasTheGroupOnItsSibling() {
        Map<String, List<Integer>> placed = Map.of("a", List.of(0), "b", List.of(4), "c", List.of(1));
        assertEquals("b", partner("a", placed));
        assertEquals("a", partner("b", placed));
        assertNull(partner("c", placed), "its sibling is idle");
    }

    @Test
    void aGroupOfSeveralWorkersHasOneOnlyWhereEveryOtherSiblingIsIdle() {
        // w's workers on 0, 1 and 2: beside x on two cores, the third sibling idle.
        assertEquals("x", partner("w", Map.of("w", List.of(0, 1, 2), "x", List.of(4, 5))));
        // x, a group of one worker beside w's worker, sees w as its partner too.
        assertEquals("w", partner("x", Map.of("w", List.of(0, 1, 2), "x", List.of(4))));
        // Beside two groups: no one pair's window.
        assertNull(partner("w", Map.of("w", List.of(0, 1), "x", List.of(4), "y", List.of(5))));
        // Partly beside itself, partly beside x: ambiguous as well.
        assertNull(partner("w", Map.of("w", List.of(0, 4, 1), "x", List.of(5))));
        // Beside itself only, and all alone: no other group.
        assertNull(partner("w", Map.of("w", List.of(0, 4))));
        assertNull(partner("w", Map.of("w", List.of(0, 1))));
        assertNull(partner("w", new HashMap<>(Map.of("x", List.of(4)))), "unpinned");
    }
}
