// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.cpusOfGroup;
import static io.smtcheck.daemon.DaemonTests.leaderStart;
import static io.smtcheck.daemon.DaemonTests.testModels;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One daemon per state directory: a second one would restore and delete the first one's records. */
@Timeout(300)
class DaemonStateLockTest {
    @TempDir
    Path dir;
    private DaemonOptions options(String socket) {
        return new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true, dir.resolve(socket), null,
                dir.resolve("run"), true);
    }
    @Test
    void aSecondDaemonOnTheSameStateDirectoryIsRefused() throws Exception {
        LaunchRegistry launched = new LaunchRegistry(dir.resolve("run/launched"));
        DaemonRuntime first = DaemonRuntime.start(options("first.sock"), Topology.parse("0"), null, dir.resolve("data"),
                testModels(), true);
        Thread loop = new Thread(first::run);
        loop.start();
        try (TestGroup g = new TestGroup(1, 0, false)) {
            launched.add(new LaunchRegistry.Entry(g.pgid(), 101, 1, "testproc", Instant.now().getEpochSecond(),
                    leaderStart(g)));
            await("the first daemon's pin", () -> cpusOfGroup(g).equals(Set.of("0")));
            Path record = dir.resolve("run/originals/" + g.pgid() + ".json");
            assertTrue(Files.exists(record));

            // In this process, and from another one: both are refused, naming the first daemon's pid.
            StateDirInUseException e = assertThrows(StateDirInUseException.class, () -> DaemonRuntime.start(
                    options("second.sock"), Topology.parse("0"), null, dir.resolve("data2"), testModels(), true));
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "io.smtcheck.cli.Main", "run", "--userspace",
                    "--threshold", "1", "--interval", "0.2", "--topology", "0", "--socket",
                    dir.resolve("third.sock").toString(), "--state-dir", dir.resolve("run").toString(), "--data-dir",
                    dir.resolve("data3").toString(), "--model-dir", testModels().toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("other.log").toFile()).start();
            boolean ended = other.waitFor(120, TimeUnit.SECONDS);
            if (!ended) {
                other.destroyForcibly().waitFor();
            }
            assertTrue(ended, "the second daemon ran: " + Files.readString(dir.resolve("other.log")));
            String log = Files.readString(dir.resolve("other.log"));
            assertEquals(5, other.exitValue(), log);
            assertTrue(log.contains("run: another daemon (pid " + ProcessHandle.current().pid() + ") uses the state"
                    + " directory " + dir.resolve("run")), log);
            assertTrue(!Files.exists(dir.resolve("third.sock")) && !Files.exists(dir.resolve("data3")),
                    "refused before it touched anything");

            // The first daemon's groups, records and status are as they were.
            Thread.sleep(500);
            assertEquals(Set.of("0"), cpusOfGroup(g));
            assertTrue(Files.exists(record));
            DaemonStatus.Workload w = workload(first.daemon().status(), g.pgid());
            assertEquals("[0]", w.cpus().toString());
        } finally {
            first.close();
        }
        // Once the first has stopped, the directory is free again.
        DaemonRuntime.start(options("again.sock"), Topology.parse("0"), null, dir.resolve("data"), testModels(), true)
                .close();
    }
}
