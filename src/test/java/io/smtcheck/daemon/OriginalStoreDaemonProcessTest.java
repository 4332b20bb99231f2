// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.cpusOfGroup;
import static io.smtcheck.daemon.DaemonTests.leaderStart;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.control.ControlClient;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.profiles.EmbeddedMongo;
import io.smtcheck.profiles.FakeProfilingServer;
import io.smtcheck.profiles.OriginalStoreWriter;
import io.smtcheck.sched.TestGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code smtcheck run} in its own process on the original SMTcheck's artifacts, as its user would
 * point it at them: its MongoDB ({@code --mongo-uri .../profile_data --node --machine-description}),
 * its profiling server ({@code --profiling-server}) and a model file in its format. The daemon
 * pins the groups, asks the profiling server for the unknown job once, picks the profile up when
 * the server is done, and writes nothing into that store.
 */
@Timeout(180)
class OriginalStoreDaemonProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A model as the original's training writes it: features by name, types from its catalogue. */
    private static final String ORIGINAL_MODEL = "{\"feature_list\": [\"base\", \"int_port\", \"int_isq\", \"l1_dcache\"],"
            + " \"coefficients\": [0.4, 0.5, 0.3, 0.2], \"intercept\": 0.05}";

    @TempDir
    Path dir;

    private EmbeddedMongo server;
    private OriginalStoreWriter writer;
    private FakeProfilingServer profilingServer;
    private Process daemon;

    @BeforeEach
    void start() throws Exception {
        server = EmbeddedMongo.start(dir.resolve("db"));
        writer = new OriginalStoreWriter(server.connectionString());
        writer.baselines();
        writer.combination();
        writer.job0();
        profilingServer = new FakeProfilingServer(0);
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();
            if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        profilingServer.close();
        writer.close();
        server.close();
    }

    private Path run() {
        return dir.resolve("run");
    }

    private void startDaemon(String node) throws IOException {
        Path models = Files.createDirectories(dir.resolve("models"));
        Files.writeString(models.resolve("prediction_model_1767225600.json"), ORIGINAL_MODEL);
        Path machine = Files.writeString(dir.resolve("machine.json"), OriginalStoreWriter.MACHINE_JSON);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.smtcheck.cli.Main", "run", "--userspace",
                "--threshold", "1", "--interval", "0.2", "--topology", "0,1",
                "--socket", run().resolve("control.sock").toString(), "--state-dir", run().toString(),
                "--model-dir", models.toString(),
                "--mongo-uri", OriginalStoreWriter.uri(server.connectionString()), "--node", node,
                "--machine-description", machine.toString(),
                "--profiling-server", "127.0.0.1:" + profilingServer.port()));
        daemon = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile())
                .start();
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("daemon.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private JsonNode status() {
        try {
            JsonNode answer = ControlClient.request(run().resolve("control.sock"),
                    JSON.createObjectNode().put("command", "status"));
            return answer.path("ok").asBoolean() ? answer.path("result") : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void launched(TestGroup g, int job) throws IOException {
        new LaunchRegistry(run().resolve("launched")).add(new LaunchRegistry.Entry(g.pgid(), job, 1, "testproc",
                Instant.now().getEpochSecond(), leaderStart(g)));
    }

    @Test
    void pinsAsksItsProfilingServerOncePicksTheProfileUpAndWritesNothingThere() throws Exception {
        Set<String> collections = new HashSet<>();
        writer.db().listCollectionNames().into(collections);
        startDaemon(OriginalStoreWriter.NODE);
        try (TestGroup job0 = new TestGroup(1, 0, false); TestGroup job1 = new TestGroup(1, 0, false)) {
            // A new JVM that connects to the store first: slow on a loaded machine.
            await("the daemon's control socket", 75, () -> status() != null || !daemon.isAlive());
            assertTrue(daemon.isAlive(), log());
            launched(job0, 0);
            launched(job1, 1);
            await("both groups managed", 30, () -> {
                JsonNode s = status();
                return s != null && s.path("workloads").size() == 2;
            });
            JsonNode s = status();
            assertEquals("original", s.path("modelFormat").asText(), s.toString());
            assertTrue(workload(s, job0.pgid()).path("profileKnown").asBoolean(), s.toString());
            assertFalse(workload(s, job1.pgid()).path("profileKnown").asBoolean(), s.toString());

            // Job 1 is unknown: its request reaches the original's profiling server.
            FakeProfilingServer.Request request = profilingServer.next(30);
            assertNotNull(request, "no profiling request: " + log());
            assertEquals("1", request.jobId);

            // Its profiling server measures the job, records it done, and replies.
            writer.job1(true);
            request.complete();
            await("job 1's profile picked up", 30, () -> {
                JsonNode now = status();
                return now != null && workload(now, job1.pgid()).path("profileKnown").asBoolean();
            });

            // Both pinned, one to each sibling, as /proc shows.
            Set<String> cpus0 = cpusOfGroup(job0);
            Set<String> cpus1 = cpusOfGroup(job1);
            assertEquals(1, cpus0.size(), cpus0.toString());
            assertEquals(1, cpus1.size(), cpus1.toString());
            assertNotEquals(cpus0, cpus1);
            assertEquals(List.of("1"), profilingServer.received(), "asked once per job");
        }
        Set<String> after = new HashSet<>();
        writer.db().listCollectionNames().into(after);
        assertEquals(collections, after, "the daemon made no collection in the original's store");
        assertEquals(0, writer.db().getCollection("measurement").countDocuments(
                new org.bson.Document("global_jobid", new org.bson.Document("$gt", 1))), "no measurement written");
        assertTrue(daemon.isAlive(), log());
    }

    @Test
    void anUnknownNodeLeavesItRunningWithoutProfilesAndSaysWhichNodesThereAre() throws Exception {
        startDaemon("nowhere");
        try (TestGroup job0 = new TestGroup(1, 0, false)) {
            await("the daemon's control socket", 75, () -> status() != null || !daemon.isAlive());
            assertTrue(daemon.isAlive(), log());
            launched(job0, 0);
            await("the group managed", 30, () -> {
                JsonNode s = status();
                return s != null && s.path("workloads").size() == 1;
            });
            JsonNode s = status();
            assertFalse(workload(s, job0.pgid()).path("profileKnown").asBoolean(), s.toString());
            assertTrue(s.path("storeHealth").asText().contains(OriginalStoreWriter.NODE), s.toString());
            assertTrue(daemon.isAlive(), log());
        }
    }
}
