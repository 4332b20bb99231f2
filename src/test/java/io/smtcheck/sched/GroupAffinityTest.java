// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.os.Errno;
import io.smtcheck.os.NativeCallException;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupAffinityTest {
    @Test
    void pinsEveryTaskOfTheGroupAndItsDescendants() throws Exception {
        List<Integer> cpus = Topology.ofThisMachine().allCpus();
        try (TestGroup group = new TestGroup(3, 2, true)) {
            List<Long> tasks = group.tasks();
            assertEquals(4, group.processCount());
            assertEquals(16, tasks.size(), "4 processes of 4 threads each");
            for (int cpu : List.of(cpus.get(cpus.size() - 1), cpus.get(0))) {
                GroupAffinity.Result r = GroupAffinity.pin(group.pgid(), List.of(cpu));
                assertEquals(new GroupAffinity.Result(4, 16), r);
                for (long tid : tasks) {
                    assertEquals(Integer.toString(cpu), TestGroup.cpusAllowed(tid), "task " + tid);
                    assertEquals(List.of(cpu), GroupAffinity.of((int) tid));
                }
            }
        }
    }

    @Test
    void pinsToSeveralCpus() throws Exception {
        List<Integer> cpus = Topology.ofThisMachine().allCpus();
        try (TestGroup group = new TestGroup(1, 1, false)) {
            GroupAffinity.pin(group.pgid(), cpus);
            String expected = cpus.size() == 1 ? cpus.get(0).toString()
                    : cpus.get(0) + "-" + cpus.get(cpus.size() - 1);
            for (long tid : group.tasks()) {
                assertEquals(expected, TestGroup.cpusAllowed(tid));
            }
        }
    }

    @Test
    void aGroupThatHasExitedIsTolerated() throws Exception {
        int pgid;
        try (TestGroup group = new TestGroup(1, 1, false)) {
            pgid = group.pgid();
        }
        assertEquals(new GroupAffinity.Result(0, 0), GroupAffinity.pin(pgid, List.of(0)));
    }

    @Test
    void badCpuSetsAreRefusedClearly() throws Exception {
        try (TestGroup group = new TestGroup(1, 0, false)) {
            IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                    () -> GroupAffinity.pin(group.pgid(), List.of()));
            assertEquals("empty CPU set", empty.getMessage());
            assertThrows(IllegalArgumentException.class, () -> GroupAffinity.pin(group.pgid(), List.of(-3)));
            NativeCallException offline = assertThrows(NativeCallException.class,
                    () -> GroupAffinity.pin(group.pgid(), List.of(4000)));
            assertEquals(Errno.EINVAL, offline.errno());
            assertTrue(offline.call().startsWith("sched_setaffinity(tid "), offline.call());
            assertTrue(offline.getMessage().endsWith("Invalid argument"), offline.getMessage());
        }
    }
}
