// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.cpusOfGroup;
import static io.smtcheck.daemon.DaemonTests.leaderStart;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.cli.Main;
import io.smtcheck.control.ControlClient;
import io.smtcheck.os.Signals;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.StoreContents;
import io.smtcheck.sched.CoreTable;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon end to end in this JVM: userspace monitor, embedded store with the shipped sample
 * profiles, real process groups, affinity checked in /proc, status and reset through the real
 * control socket and the real CLI.
 */
@Timeout(120)
class DaemonIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private DaemonOptions options() {
        return new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true, dir.resolve("run/control.sock"), null,
                dir.resolve("run"), true);
    }
    private JsonNode cli(String... args) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, String.join(" ", args) + ": " + err);
        return JSON.readTree(out.toString());
    }

    private JsonNode status() throws Exception {
        return cli("status", "--socket", options().socket().toString(), "--json");
    }

    @Test
    void detectsScoresPinsReportsAndRestores() throws Exception {
        String original = TestGroup.cpusAllowed(ProcessHandle.current().pid());
        LaunchRegistry launched = new LaunchRegistry(dir.resolve("run/launched"));
        Path fifo = dir.resolve("never-written");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        List<AutoCloseable> cleanup = new ArrayList<>();
        DaemonRuntime runtime = DaemonRuntime.start(options(), Topology.parse("0,1"), null, dir.resolve("data"),
                Path.of(System.getProperty("smtcheck.test.models", "trained_model")), true);
        Thread loop = new Thread(runtime::run, "daemon-under-test");
        loop.start();
        try (TestGroup known = new TestGroup(2, 1, false); TestGroup unknown = new TestGroup(1, 0, false)) {
            // `sort` blocked opening a FIFO: a real process recognised by the sample profile of job 109.
            int sort = GroupLauncher.start(List.of("sort", fifo.toString()));
            cleanup.add(() -> {
                GroupLauncher.signal(sort, Signals.SIGKILL);
                GroupLauncher.waitFor(sort);
            });
            long now = Instant.now().getEpochSecond();
            launched.add(new LaunchRegistry.Entry(known.pgid(), 101, 1, "testproc", now,
                    leaderStart(known)));
            launched.add(new LaunchRegistry.Entry(unknown.pgid(), 4242, 1, "testproc", now,
                    leaderStart(unknown)));

            // Three single-thread workloads, one two-CPU core: two get a CPU each, one is surplus.
            await("three workloads", () -> {
                try {
                    return status().path("workloads").size() == 3;
                } catch (Exception e) {
                    return false;
                }
            });
            JsonNode s = status();
            assertEquals(3, s.path("workloads").size(), s.toString());
            assertTrue(workload(s, sort).path("profileKnown").asBoolean());
            assertEquals("sort", workload(s, sort).path("name").asText());
            assertTrue(workload(s, known.pgid()).path("profileKnown").asBoolean());
            assertFalse(workload(s, unknown.pgid()).path("profileKnown").asBoolean());
            int pinned = 0;
            Set<String> cpusUsed = new HashSet<>();
            for (JsonNode w : s.path("workloads")) {
                if (!w.path("cpus").isEmpty()) {
                    pinned++;
                    assertEquals(1, w.path("cpus").size());
                    cpusUsed.add(w.path("cpus").get(0).asText());
                }
            }
            assertEquals(2, pinned, s.toString());
            assertEquals(Set.of("0", "1"), cpusUsed);
            for (TestGroup g : List.of(known, unknown)) {
                JsonNode w = workload(s, g.pgid());
                String expected = w.path("cpus").isEmpty() ? original : w.path("cpus").get(0).asText();
                assertEquals(Set.of(expected), cpusOfGroup(g), "group " + g.pgid());
            }
            assertEquals("0,1", s.path("topology").asText());
            assertEquals(1, s.path("cores").size());
            assertEquals(2, s.path("cores").get(0).path("workloads").size());
            assertTrue(s.path("counters").path("pins").asInt() >= 2);
            assertTrue(s.path("eventToPinMs").path("samples").asInt() >= 3);
            explainsItself(s, sort, "sort " + fifo, original);

            // The sort group leaves: the one that was left over takes the free CPU; nobody else moves.
            JsonNode before = status();
            cleanup.remove(0).close();
            await("the exit", () -> {
                try {
                    return status().path("workloads").size() == 2;
                } catch (Exception e) {
                    return false;
                }
            });
            JsonNode after = status();
            for (TestGroup g : List.of(known, unknown)) {
                JsonNode was = workload(before, g.pgid());
                JsonNode now2 = workload(after, g.pgid());
                assertEquals(1, now2.path("cpus").size(), after.toString());
                if (!was.path("cpus").isEmpty()) {
                    assertEquals(was.path("cpus"), now2.path("cpus"), "a placed group did not move");
                }
                assertEquals(Set.of(now2.path("cpus").get(0).asText()), cpusOfGroup(g));
            }
            assertNotEquals(workload(after, known.pgid()).path("cpus"), workload(after, unknown.pgid()).path("cpus"));

            // reset --affinity through the CLI puts the original mask back on every task.
            JsonNode reset = cli("reset", "--affinity", "--socket", options().socket().toString(), "--json");
            assertEquals(2, reset.path("restoredGroups").asInt());
            assertEquals(Set.of(original), cpusOfGroup(known));
            assertEquals(Set.of(original), cpusOfGroup(unknown));

            // A newcomer makes the daemon plan again; stopping it restores every group.
            try (TestGroup third = new TestGroup(1, 0, false)) {
                launched.add(new LaunchRegistry.Entry(third.pgid(), 102, 1, "testproc", now,
                    leaderStart(third)));
                await("a new plan", () -> !cpusOfGroup(known).equals(Set.of(original)));
                runtime.close();
                loop.join(10_000);
                assertFalse(loop.isAlive());
                for (TestGroup g : List.of(known, unknown, third)) {
                    assertEquals(Set.of(original), cpusOfGroup(g), "restored on stop: group " + g.pgid());
                }
            }
        } finally {
            runtime.close();
            for (AutoCloseable c : cleanup) {
                c.close();
            }
        }
        // The profiling request for the unknown job outlived the daemon, in the embedded store's files.
        try (ProfileStore store = ProfileStore.embedded(dir.resolve("data"))) {
            List<Integer> requested = StoreContents.requested(store);
            assertEquals(List.of(4242), requested);
        }
        assertFalse(Files.exists(options().socket()), "the socket is removed on stop");
    }

    /**
     * What status says of each workload and of the plan, and the same status rendered by the daemon
     * for a client that parses no JSON.
     */
    private void explainsItself(JsonNode s, int sortPgid, String sortCommand, String original) throws Exception {
        assertEquals("ok", s.path("monitorHealth").asText(), s.toString());
        assertEquals(1, s.path("thresholdSeconds").asInt());
        assertEquals(0.2, s.path("intervalSeconds").asDouble());
        JsonNode plan = s.path("plan");
        assertTrue(plan.path("score").asDouble() > 0 && plan.path("unpinnedScore").asDouble() > 0, plan.toString());
        assertEquals(plan.path("score").asDouble() / plan.path("unpinnedScore").asDouble() - 1,
                plan.path("gainOverUnpinned").asDouble(), 1e-9);
        Instant.parse(plan.path("at").asText());
        assertEquals(sortCommand, workload(s, sortPgid).path("command").asText());
        Map<Integer, Integer> cpuOf = new HashMap<>();
        for (JsonNode w : s.path("workloads")) {
            assertEquals(expanded(original), cpuText(w.path("originalCpus")), w.toString());
            if (!w.path("cpus").isEmpty()) {
                Instant.parse(w.path("pinnedSince").asText());
                cpuOf.put(w.path("pgid").asInt(), w.path("cpus").get(0).asInt());
            } else {
                assertFalse(w.has("pinnedSince"), w.toString());
            }
        }
        // One core of two CPUs: each pinned group's partner is the other pinned one.
        for (JsonNode w : s.path("workloads")) {
            int pgid = w.path("pgid").asInt();
            Integer other = cpuOf.keySet().stream().filter(p -> p != pgid).findFirst().orElse(null);
            if (cpuOf.containsKey(pgid)) {
                assertEquals(other, w.path("partner").asInt(), w.toString());
            } else {
                assertFalse(w.has("partner"), w.toString());
            }
        }
        Path socket = options().socket();
        JsonNode text = ControlClient.request(socket, JSON.createObjectNode().put("command", "status").put("format", "text"));
        assertTrue(text.path("ok").asBoolean(), text.toString());
        assertTrue(text.path("result").asText().contains("command: " + sortCommand), text.toString());
        JsonNode json = ControlClient.request(socket, JSON.createObjectNode().put("command", "status").put("format", "json"));
        // Asked later than `s`: the counters may have moved on, the groups are the same.
        assertEquals(s.path("workloads").findValues("pgid"),
                JSON.readTree(json.path("result").asText()).path("workloads").findValues("pgid"));
        JsonNode bad = ControlClient.request(socket, JSON.createObjectNode().put("command", "status").put("format", "xml"));
        assertFalse(bad.path("ok").asBoolean());
        assertTrue(bad.path("error").asText().startsWith("format: 'xml' is not one of"), bad.toString());
    }

    /** A Cpus_allowed_list such as 0-2,5 written out: 0,1,2,5. */
    private static String expanded(String list) {
        List<Integer> cpus = new ArrayList<>();
        for (String part : list.split(",")) {
            String[] range = part.split("-");
            int from = Integer.parseInt(range[0].trim());
            int to = Integer.parseInt(range[range.length - 1].trim());
            for (int c = from; c <= to; c++) {
                cpus.add(c);
            }
        }
        return CoreTable.cpuList(cpus);
    }

    private static String cpuText(JsonNode cpus) {
        List<Integer> list = new ArrayList<>();
        cpus.forEach(c -> list.add(c.asInt()));
        return CoreTable.cpuList(list);
    }

    @Test
    void sigtermRestoresAffinityInARealProcess() throws Exception {
        String original = TestGroup.cpusAllowed(ProcessHandle.current().pid());
        Path run = dir.resolve("run");
        LaunchRegistry launched = new LaunchRegistry(run.resolve("launched"));
        try (TestGroup g = new TestGroup(2, 1, false)) {
            launched.add(new LaunchRegistry.Entry(g.pgid(), 101, 1, "testproc", Instant.now().getEpochSecond(),
                    leaderStart(g)));
            Process daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "io.smtcheck.cli.Main", "run", "--userspace", "--sample-profiles",
                    "--threshold", "1", "--interval", "0.2", "--topology", "0", "--socket",
                    run.resolve("control.sock").toString(), "--state-dir", run.toString(), "--data-dir",
                    dir.resolve("data").toString(), "--model-dir",
                    System.getProperty("smtcheck.test.models", "trained_model"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile()).start();
            try {
                // A new JVM that imports the sample profiles first: slow on a loaded machine.
                await("the group pinned by the daemon process", 75, () -> cpusOfGroup(g).equals(Set.of("0")));
            } finally {
                daemon.destroy(); // SIGTERM
                assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), Files.readString(dir.resolve("daemon.log")));
            }
            String log = Files.readString(dir.resolve("daemon.log"));
            assertEquals(Set.of(original), cpusOfGroup(g), log);
            assertTrue(log.contains("stopping: restored the original affinity of 1 groups"), log);
            assertFalse(Files.exists(run.resolve("control.sock")), log);
        }
    }
}
