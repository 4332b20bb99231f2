// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void runsTheCommandInItsOwnGroupAndRecordsItMeanwhile() throws Exception {
        Path stat = dir.resolve("stat");
        Path leaderStat = dir.resolve("leader-stat");
        Path seen = dir.resolve("seen");
        Path record = dir.resolve("record");
        Path launched = dir.resolve("state/launched");
        // The record is written just after the start: wait for it (boundedly), then look.
        String script = "cat /proc/self/stat > " + stat + "; cat /proc/$$/stat > " + leaderStat + "; i=0;"
                + " while [ ! -e " + launched + "/$$.json ] && [ $i -lt 200 ];"
                + " do i=$((i+1)); sleep 0.05; done; ls " + launched + " > " + seen + "; cp " + launched + "/$$.json "
                + record + "; exit 7";
        CliRun r = run("launch", "--job", "42", "--workers", "2", "--state-dir", dir.resolve("state").toString(),
                "--device", dir.resolve("no-device").toString(), "--", "sh", "-c", script);
        assertEquals(7, r.code(), r.err());
        // /proc/self/stat of cat: its pgid (field 5) is the shell's pid, which leads the new group.
        String[] f = Files.readString(stat).substring(Files.readString(stat).lastIndexOf(')') + 2).split(" ");
        int pgid = Integer.parseInt(f[2]);
        assertTrue(pgid != ProcessHandle.current().pid());
        assertTrue(r.err().contains("runs as process group " + pgid), r.err());
        assertEquals(pgid + ".json", Files.readString(seen).trim(), "recorded while it ran");
        // The record names when the leader started (field 22 of its stat), against pgid reuse.
        String leader = Files.readString(leaderStat);
        long started = Long.parseLong(leader.substring(leader.lastIndexOf(')') + 2).split(" ")[19]);
        assertEquals(started, new com.fasterxml.jackson.databind.ObjectMapper().readTree(record.toFile())
                .path("leaderStartTicks").asLong(-1), Files.readString(record));
        assertFalse(Files.exists(dir.resolve("state/launched/" + pgid + ".json")), "removed when it ended");
    }

    @Test
    void reportsASignalDeathAs128PlusN() {
        CliRun r = run("launch", "--job", "1", "--state-dir", dir.toString(), "--device", dir.resolve("x").toString(),
                "--", "sh", "-c", "kill -TERM $$");
        assertEquals(128 + 15, r.code(), r.err());
    }

    @Test
    void aCommandThatCannotStart() {
        CliRun r = run("launch", "--job", "1", "--state-dir", dir.toString(), "--", "/nonexistent/command");
        assertEquals(ExitCodes.FAILURE, r.code());
        assertEquals("launch: posix_spawnp(/nonexistent/command): No such file or directory", r.err().strip());
    }

    @Test
    void badArguments() {
        assertEquals(ExitCodes.BAD_INPUT, run("launch", "--job", "1", "--workers", "0", "--", "true").code());
        assertEquals(ExitCodes.BAD_INPUT, run("launch", "--job", "-1", "--", "true").code());
        assertEquals(ExitCodes.USAGE, run("launch", "--job", "1").code());
        assertEquals(ExitCodes.USAGE, run("launch", "--", "true").code());
    }

    @Test
    void statusAndResetSayWhenTheDaemonIsNotRunning() {
        Path socket = dir.resolve("control.sock");
        CliRun r = run("status", "--socket", socket.toString());
        assertEquals(ExitCodes.NOT_RUNNING, r.code());
        assertEquals("status: daemon is not running (no socket at " + socket + ")", r.err().strip());
        assertEquals(ExitCodes.NOT_RUNNING, run("reset", "--counters", "--socket", socket.toString()).code());
    }
}
