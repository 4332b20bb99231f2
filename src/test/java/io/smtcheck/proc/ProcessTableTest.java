// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.sched.TestGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessTableTest {
    @TempDir
    Path dir;

    @Test
    void findsARealGroupWithItsMembers() throws Exception {
        ProcessTable table = new ProcessTable();
        try (TestGroup group = new TestGroup(1, 2, false)) {
            ProcessGroup g = table.groups().stream().filter(x -> x.pgid() == group.pgid()).findFirst().orElseThrow();
            assertEquals("smtcheck-testpr", g.leaderComm()); // the kernel keeps 15 characters
            assertEquals((int) group.leaderPid(), g.leaderPid());
            String cmdline = table.cmdline(g.leaderPid());
            assertTrue(cmdline.endsWith("smtcheck-testproc --threads 1 --children 2"), cmdline);
            assertEquals(3, g.pids().size());
            assertTrue(g.pids().contains((int) group.leaderPid()));
            assertTrue(g.ageSeconds() >= 0 && g.ageSeconds() < 60, "age " + g.ageSeconds());
            assertTrue(table.groupAlive(group.pgid()));
        }
        assertFalse(table.groupAlive(Integer.MAX_VALUE - 1));
    }

    @Test
    void aProcessThatMovesToAGroupOfItsOwnRightAfterStartingIsSeenThere() throws Exception {
        ProcessTable table = new ProcessTable();
        table.groups(); // the first scan reads everything; the next ones reuse what they read
        // Started in this JVM's group; a moment later it becomes the leader of a session of its own.
        Process p = new ProcessBuilder("sh", "-c", "sleep 0.3; exec setsid sleep 30").start();
        try {
            int pid = (int) p.pid();
            assertTrue(table.groups().stream().noneMatch(g -> g.pgid() == pid), "not a group yet");
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (table.stat(pid) == null || table.stat(pid).pgid() != pid) {
                assertTrue(System.nanoTime() < deadline, "setsid did not happen");
                Thread.sleep(20);
            }
            assertTrue(table.groups().stream().anyMatch(g -> g.pgid() == pid), "the new group is seen at the next scan");
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void twoBusyTasksSharingOneCpuWaitForItAboutHalfTheTimeEach() throws Exception {
        assertTrue(Files.exists(Path.of("/proc/self/schedstat")), "this kernel keeps no schedstat");
        // A group of its own (setsid) of two busy shells on CPU 0: whenever one runs the other
        // waits, so their run delays grow together by about the time that passes.
        Process p = new ProcessBuilder("setsid", "taskset", "-c", "0", "sh", "-c",
                "sh -c 'while :; do :; done' & while :; do :; done").start();
        try {
            ProcessTable table = new ProcessTable();
            int pgid = (int) p.pid();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (table.groups().stream().noneMatch(g -> g.pgid() == pgid && g.pids().size() == 2)) {
                assertTrue(System.nanoTime() < deadline, "the group's two shells did not start");
                Thread.sleep(50);
            }
            long t0 = System.nanoTime();
            long w0 = table.runDelayNanos(pgid);
            Thread.sleep(1500);
            long w1 = table.runDelayNanos(pgid);
            long elapsed = System.nanoTime() - t0;
            assertTrue(w1 - w0 >= 0.6 * elapsed && w1 - w0 <= 2.2 * elapsed,
                    "waited " + (w1 - w0) + " ns of " + elapsed);
            assertEquals(0, table.runDelayNanos(Integer.MAX_VALUE - 1), "no such group");
        } finally {
            ProcessHandle.of(p.pid()).ifPresent(h -> h.descendants().forEach(ProcessHandle::destroyForcibly));
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void oddCommandNamesAreParsed() throws Exception {
        Path proc = dir.resolve("proc");
        Files.createDirectories(proc.resolve("42"));
        Files.writeString(proc.resolve("uptime"), "1000.50 10.00\n");
        // A name with spaces and parentheses; starttime (field 22) 50000 ticks = 500 s after boot.
        Files.writeString(proc.resolve("42/stat"),
                "42 (a (b) c) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 50000 0 0 0\n");
        Files.write(proc.resolve("42/cmdline"), "./a (b) c\0--x\0".getBytes());
        Files.createDirectories(proc.resolve("self"));
        List<ProcessGroup> groups = new ProcessTable(proc).groups();
        assertEquals(List.of(new ProcessGroup(42, 42, "a (b) c", 500.5, List.of(42))), groups);
        assertEquals("./a (b) c --x", new ProcessTable(proc).cmdline(42));
        assertEquals(null, new ProcessTable(proc).cmdline(43));
    }

    @Test
    void launchRegistryRoundTripAndBadFilesSkipped() throws Exception {
        LaunchRegistry reg = new LaunchRegistry(dir.resolve("launched"));
        assertEquals(List.of(), reg.entries());
        LaunchRegistry.Entry a = new LaunchRegistry.Entry(100, 7, 2, "sleep 100", 1_700_000_000L, 5000);
        LaunchRegistry.Entry b = new LaunchRegistry.Entry(99, 8, 1, "yes", 1_700_000_001L, 5001);
        reg.add(a);
        reg.add(b);
        Files.writeString(reg.directory().resolve("5.json"), "{not json");
        Files.writeString(reg.directory().resolve("6.json"), "{\"pgid\":7,\"jobId\":1,\"workers\":1}");
        assertEquals(List.of(b, a), reg.entries());
        reg.remove(100);
        reg.remove(100);
        assertEquals(List.of(b), reg.entries());
    }
}
