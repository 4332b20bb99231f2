// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyTest {
    @Test
    void thisMachineCoversEveryOnlineCpu() throws Exception {
        Topology topo = Topology.ofThisMachine();
        String online = Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
        assertTrue(topo.coreCount() >= 1);
        assertEquals(topo.hardwareThreads(), topo.allCpus().size());
        // The spec form reads back to the same topology.
        assertEquals(topo.toString(), Topology.parse(topo.toString()).toString());
        assertTrue(online.startsWith("0"), online);
    }

    @Test
    void explicitSpec() {
        Topology topo = Topology.parse("1,0");
        assertEquals(1, topo.coreCount());
        assertEquals(List.of(0, 1), topo.cpus(0));
        assertEquals("0,1", topo.toString());
    }

    @Test
    void offlineOrMalformedSpecsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Topology.parse("0,1;4000"));
        assertEquals("CPU 4000 in topology '0,1;4000' is not online", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Topology.parse("0;0"));
        assertEquals("CPU 0 appears twice in topology '0;0'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Topology.parse("0,,1"));
        assertThrows(IllegalArgumentException.class, () -> Topology.parse("zero"));
        assertThrows(IllegalArgumentException.class, () -> Topology.parse(""));
    }
}
