// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessIdentityTest {
    @Test
    void cpuListsInTheKernelsFormat() {
        assertEquals(List.of(0, 1, 2, 3, 8, 10, 11), ProcessIdentity.parseCpuList("0-3,8,10-11\n"));
        assertEquals(List.of(), ProcessIdentity.parseCpuList("\n"));
        assertThrows(IllegalArgumentException.class, () -> ProcessIdentity.parseCpuList("3-1"));
        assertThrows(IllegalArgumentException.class, () -> ProcessIdentity.parseCpuList("a"));
    }

    @Test
    void thisProcessAsTheRulesSeeIt() throws Exception {
        int pid = (int) ProcessHandle.current().pid();
        ProcessIdentity me = ProcessIdentity.of(pid).orElseThrow();
        assertEquals(Files.readString(Path.of("/proc/self/comm")).strip(), me.comm());
        assertEquals(Integer.parseInt(new ProcessBuilder("id", "-u").start().inputReader().readLine()), me.uid());
        assertTrue(me.cgroup().startsWith("/"), me.cgroup());
        // Where a cpuset is visible, it holds the CPUs this process runs on.
        String allowed = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow().split(":")[1];
        me.cpuset().ifPresent(c -> assertTrue(c.containsAll(ProcessIdentity.parseCpuList(allowed)), c.toString()));
        assertTrue(ProcessIdentity.of(Integer.MAX_VALUE).isEmpty());
    }
}
