// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.os.Signals;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.sched.TestGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class GroupCountersTest {
    private static List<Integer> tasksOf(long pid) throws Exception {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return s.map(p -> Integer.parseInt(p.getFileName().toString())).toList();
        }
    }

    /** The first field of /proc/PID/schedstat: the task's time on a CPU, in nanoseconds. */
    private static long schedulerOnCpuNs(long pid) throws Exception {
        return Long.parseLong(Files.readString(Path.of("/proc", Long.toString(pid), "schedstat")).split(" ")[0]);
    }

    @Test
    void aBusyGroupCountsAndAnIdleOneStaysFlat() throws Exception {
        int busy = GroupLauncher.start(List.of("sh", "-c", "while :; do :; done"));
        try (GroupCounters counters = GroupCounters.open(); TestGroup idle = new TestGroup(1, 0, false)) {
            assertEquals(1, counters.track(busy, tasksOf(busy)));
            assertEquals(2, counters.track(idle.pgid(), idle.tasks().stream().map(Long::intValue).toList()));
            GroupCounters.Values b0 = counters.read(busy);
            GroupCounters.Values i0 = counters.read(idle.pgid());
            long onCpu0 = schedulerOnCpuNs(busy);
            // However loaded the machine, wait until the spinner has had a measurable share of a CPU.
            long deadline = System.nanoTime() + 20_000_000_000L;
            do {
                Thread.sleep(200);
            } while (schedulerOnCpuNs(busy) - onCpu0 < 100_000_000L && System.nanoTime() < deadline);
            GroupCounters.Values b1 = counters.read(busy);
            long onCpu = schedulerOnCpuNs(busy) - onCpu0;
            GroupCounters.Values i1 = counters.read(idle.pgid());
            long grew = b1.cycles() - b0.cycles();
            if (counters.mode() == GroupCounters.Mode.SOFTWARE) {
                // On-CPU nanoseconds, as the scheduler itself accounts them (the two reads are not
                // simultaneous: allow what the spinner can run between them).
                assertTrue(onCpu > 0, "the spinner never ran");
                assertTrue(Math.abs(grew - onCpu) <= onCpu / 10 + 20_000_000L,
                        "counter grew by " + grew + " ns, the scheduler counted " + onCpu + " ns");
                assertEquals(0, b1.instructions());
                assertTrue(i1.cycles() - i0.cycles() < 20_000_000L, "idle group grew by " + (i1.cycles() - i0.cycles()));
            } else {
                assertTrue(grew > 0 && b1.instructions() > b0.instructions());
            }
            counters.reset();
            GroupCounters.Values afterReset = counters.read(busy);
            assertTrue(afterReset.cycles() < b1.cycles(), "reset zeroes: " + afterReset + " after " + b1);
            counters.forget(busy);
            assertNull(counters.read(busy));
            assertEquals(List.of(idle.pgid()), counters.groups());
        } finally {
            GroupLauncher.signal(busy, Signals.SIGKILL);
            GroupLauncher.waitFor(busy);
        }
    }

    @Test
    void tasksThatExitedAreSkippedAndCloseIsFinal() throws Exception {
        GroupCounters counters = GroupCounters.open();
        int gone;
        try (TestGroup g = new TestGroup(0, 0, false)) {
            gone = (int) g.leaderPid();
        }
        assertEquals(0, counters.track(gone, List.of(gone)));
        counters.close();
        counters.close();
        assertThrows(IllegalStateException.class, () -> counters.track(1, List.of(1)));
    }
}
