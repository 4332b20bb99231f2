// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.smtcheck.control.ControlServer;
import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.Measurement;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ResourceProfile;
import io.smtcheck.profiles.EmbeddedMongo;
import io.smtcheck.profiles.MongoGateway;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.RequestCollection;
import io.smtcheck.profiles.StoreContents;
import io.smtcheck.profiling.Contention;
import io.smtcheck.profiling.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * profile and corun end to end, with the real injectors, runner and test programs on this
 * machine's two CPUs treated as one core, and the profile store on an embedded server reached
 * through the driver over TCP. The injector baselines are measured by the first test and reused
 * by the others (as they would be on one machine).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProfileCommandTest {
    private static final Path TESTLOAD = Path.of(System.getProperty("smtcheck.test.tools", "target/native"),
            "smtcheck-testload").toAbsolutePath();
    private static final List<String> BENCH = List.of("--topology", "0,1", "--cpus", "0,1", "--duration", "0.2",
            "--levels", "0.5,1", "--repeats", "1");

    @TempDir
    static Path dir;

    private static EmbeddedMongo server;
    private static ProfileStore store;
    private static String uri;

    /**
     * The profiling tools this class runs, copied into a directory of its own: a leftover process
     * is one running from here, whatever else runs the tools on this machine at the same time.
     */
    private static Path tools;

    @BeforeAll
    static void startStore() throws IOException {
        tools = Files.createDirectories(dir.resolve("tools"));
        Path built = Path.of("target/classes/META-INF/native/linux-x86_64/bin");
        for (String tool : List.of("smtcheck-inject", "smtcheck-runner")) {
            Files.copy(built.resolve(tool), tools.resolve(tool), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        System.setProperty(Tools.DIR_PROPERTY, tools.toString());
        server = EmbeddedMongo.start(dir.resolve("store"));
        uri = server.connectionString();
        store = ProfileStore.connect(uri);
    }

    @AfterAll
    static void stopStore() {
        System.clearProperty(Tools.DIR_PROPERTY);
        store.close();
        server.close();
    }

    private static CliRun run(List<String> args) {
        return CliRun.of(args);
    }

    /** profile ARGS on the bench, with a socket where no daemon listens. */
    private static List<String> profile(String... args) {
        List<String> a = new ArrayList<>(List.of("profile", "--mongo-uri", uri, "--socket", dir.resolve("none.sock").toString()));
        a.addAll(BENCH);
        a.addAll(List.of(args));
        return a;
    }

    /** Whether the first test got to profile the stream (it skips itself when the CPUs share no bandwidth). */
    private static boolean streamProfiled() {
        return store.readAllProfiles().items().stream().anyMatch(p -> p.jobId() == 201);
    }

    private static Profile stored(int job) {
        return store.readAllProfiles().items().stream().filter(p -> p.jobId() == job).findFirst().orElseThrow();
    }

    @Test
    @Order(1)
    void profilesOfAStreamAndACompute() throws Exception {
        new RequestCollection(store.gateway(), MongoGateway.Patience.RETRY).file(201);
        // The host can stall either vCPU for seconds (docs/architecture.md §6), which reads as a slowdown: a
        // compute kernel must show itself insensitive in one of three profiles.
        ResourceProfile cm = null;
        String computeSeen = "";
        for (int attempt = 0; attempt < 3; attempt++) {
            CliRun compute = run(profile("--job", "202", "--name", "compute", "--", TESTLOAD.toString(), "compute"));
            assertEquals(0, compute.code(), compute.out() + compute.err());
            assertTrue(compute.out().contains("profile of 'compute' (job 202) written to"), compute.out());
            assertTrue(compute.out().contains("mem_bw"), compute.out());
            cm = stored(202).resources().get("mem_bw");
            computeSeen += " [" + cm + "]";
            if (cm.sensitivity() < 0.1 && cm.baseSlowdown() < 0.05) {
                break;
            }
            assertTrue(attempt < 2, "compute" + computeSeen);
        }

        // The stream is profiled while the two CPUs share memory bandwidth (see Contention), again
        // if the host moved a CPU during the profile.
        String seen = "";
        for (int attempt = 0; attempt < 5; attempt++) {
            assumeTrue(Contention.memoryBandwidthShared(Duration.ofSeconds(90)),
                    "CPUs 0 and 1 did not share memory bandwidth for 90 s");
            CliRun stream = run(profile("--job", "201", "--name", "stream", "--comm", "smtcheck-testlo", "--",
                    TESTLOAD.toString(), "stream"));
            assertEquals(0, stream.code(), stream.out() + stream.err());
            assertFalse(stream.out().contains("resumed"), stream.out());
            ResourceProfile sm = stored(201).resources().get("mem_bw");
            seen += " [stream " + sm + "]";
            if (sm.sensitivity() > cm.sensitivity() + 0.1 && sm.intensity() > cm.intensity() + 0.1
                    && sm.baseSlowdown() > cm.baseSlowdown() + 0.05) {
                break;
            }
            assertTrue(attempt < 4, "compute " + cm + "; " + seen);
        }

        Profile s = stored(201);
        assertEquals(7, s.resources().size());
        Measurement m = s.measured();
        assertEquals(Measurement.Progress.RUN_TIME, m.progress(), "this machine has no hardware counters");
        assertEquals(List.of(TESTLOAD.toString(), "stream"), m.command());
        assertEquals(List.of(0, 1), m.cpus());
        assertEquals("0,1", m.machine().topology());
        assertEquals("smtcheck-testlo", s.match().comm());
        assertTrue(m.soloSeconds() > 0.05, m.toString());
        assertEquals(1.0, s.singleIpc());
        assertTrue(m.l3().startsWith("not measured"), m.l3());

        assertEquals("done", StoreContents.requests(store).stream().filter(r -> r.jobId() == 201).findFirst().orElseThrow()
                .status());
        assertTrue(StoreContents.pending(store).isEmpty());
        // The injector catalogue declares the resources the next model is trained on.
        assertEquals(7, store.baselines().items().size());
        assertTrue(store.baselines().items().stream().allMatch(b -> b.soloRate() > 0));
    }

    @Test
    @Order(2)
    void corunThenTrainDeployAndPlan() throws Exception {
        assumeTrue(streamProfiled(), "the stream was not profiled: the CPUs did not share memory bandwidth");
        CliRun corun = run(List.of("corun", "--mongo-uri", uri, "--socket", dir.resolve("none.sock").toString(), "--topology",
                "0,1", "--cpus", "0,1", "--jobs", "201,202", "--repeats", "4", "--json"));
        assertEquals(0, corun.code(), corun.out() + corun.err());
        JsonNode samples = new ObjectMapper().readTree(corun.out());
        assertEquals(12, samples.size(), corun.out());
        assertEquals(12, store.samples().items().size());
        // Two register-only programs share nothing on these CPUs: the median of their slowdowns shows
        // it, whatever a host stall did to one repeat (docs/architecture.md §6).
        List<CoRunSample> computes = store.samples().items().stream().filter(x -> x.jobA() == 202 && x.jobB() == 202)
                .toList();
        assertFalse(computes.isEmpty());
        double[] slowdowns = computes.stream().flatMapToDouble(x -> java.util.stream.DoubleStream.of(
                Math.abs(x.slowdownA()), Math.abs(x.slowdownB()))).sorted().toArray();
        assertTrue(slowdowns[slowdowns.length / 2] < 0.1, computes.toString());

        Path models = dir.resolve("models");
        CliRun train = run(List.of("train", "--mongo-uri", uri, "--out", models.toString(), "--hold-out", "0.2"));
        assertEquals(0, train.code(), train.out() + train.err());
        assertTrue(train.out().contains("mem_bw"), train.out());
        Path model;
        try (Stream<Path> files = Files.list(models)) {
            model = files.findFirst().orElseThrow();
        }
        assertEquals(0, run(List.of("model", "show", model.toString())).code());
        Path deployed = Files.createDirectories(dir.resolve("deployed")); // deploy never creates it
        CliRun deploy = run(List.of("model", "deploy", model.toString(), "--dir", deployed.toString()));
        assertEquals(0, deploy.code(), deploy.err());

        Path data = dir.resolve("measured.json");
        assertEquals(0, run(List.of("profiles", "export", "--mongo-uri", uri, "--out", data.toString())).code());
        CliRun plan = run(List.of("plan", "--profiles", data.toString(), "--model", deployed.toString(), "--topology", "0,1",
                "--json"));
        assertEquals(0, plan.code(), plan.out() + plan.err());
        JsonNode p = new ObjectMapper().readTree(plan.out());
        assertTrue(p.toString().contains("stream") && p.toString().contains("compute"), plan.out());
    }

    @Test
    @Order(3)
    void anInterruptedProfileResumesAndLeavesNothingBehind() throws Exception {
        Process child = childProfile("203", "stream-again");
        waitForLine(child, ", run ");
        new ProcessBuilder("kill", "-INT", Long.toString(child.pid())).start().waitFor();
        if (!child.waitFor(20, TimeUnit.SECONDS)) {
            child.destroyForcibly(); // not left to the tests after this one
            fail("the interrupted profile exits");
        }
        String err = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(130, child.exitValue(), err);
        assertTrue(err.contains("interrupted after"), err);
        assertEquals(List.of(), leftovers());

        CliRun again = run(profile("--job", "203", "--name", "stream-again", "--", TESTLOAD.toString(), "stream"));
        assertEquals(0, again.code(), again.out() + again.err());
        assertTrue(again.out().matches("(?s).*\\d+ runs \\([1-9]\\d* resumed\\).*"), again.out());
        assertEquals(7, stored(203).resources().size());
        assertEquals(List.of(), leftovers());
    }

    @Test
    @Order(4)
    void aKilledProfileLeavesNothingBehind() throws Exception {
        Process child = childProfile("204", "killed");
        waitForLine(child, ", run ");
        child.destroyForcibly();
        child.waitFor(10, TimeUnit.SECONDS);
        List<String> left = leftovers();
        for (int k = 0; k < 50 && !left.isEmpty(); k++) {
            Thread.sleep(100);
            left = leftovers();
        }
        assertEquals(List.of(), left, "the parent-death signal stops the injector and the runner's whole workload");
    }

    @Test
    @Order(5)
    void refusesTheCpusOfARunningDaemon() throws Exception {
        Path socket = dir.resolve("daemon.sock");
        boolean[] dryRun = {false};
        try (ControlServer daemon = ControlServer.start(socket, null, Map.of("status", ControlServer.Command.reading(
                (request, peer) -> JsonNodeFactory.instance.objectNode().put("pid", 4242).put("topology", "0;1")
                        .put("dryRun", dryRun[0]))))) {
            List<String> args = new ArrayList<>(List.of("profile", "--mongo-uri", uri, "--socket", socket.toString()));
            args.addAll(BENCH);
            args.addAll(List.of("--job", "205", "--name", "fails", "--", "false"));
            CliRun refused = run(args);
            assertEquals(ExitCodes.REFUSED, refused.code(), refused.err());
            assertTrue(refused.err().startsWith("profile: CPUs [0, 1] are managed by the running daemon (pid 4242"),
                    refused.err());

            // Allowed, or a dry-run daemon: it goes on, and the failing command is what stops it.
            args.add(args.indexOf("--job"), "--allow-managed-cpus");
            CliRun allowed = run(args);
            assertEquals(ExitCodes.BAD_INPUT, allowed.code(), allowed.err());
            assertTrue(allowed.err().contains("false exited with status 1"), allowed.err());
            args.remove("--allow-managed-cpus");
            dryRun[0] = true;
            assertEquals(ExitCodes.BAD_INPUT, run(args).code());
            assertEquals(0, daemon.errors(), "every status request was answered");
        }
        assertTrue(store.readAllProfiles().items().stream().noneMatch(p -> p.jobId() == 205), "nothing written");
        assertEquals(List.of(), leftovers());
    }

    @Test
    @Order(6)
    void badInputGetsOneClearLine() throws Exception {
        List<String> separate = new ArrayList<>(profile("--job", "206", "--name", "x", "--", "true"));
        separate.set(separate.indexOf("0,1"), "0;1");
        assertFails(run(separate), ExitCodes.BAD_INPUT, "CPUs 0 and 1 are not siblings of one core in topology 0;1");
        assertFails(run(profile("--job", "206", "--name", "x", "--levels", "0.5,0.7", "--", "true")), ExitCodes.BAD_INPUT,
                "must end with 1");
        assertFails(run(profile("--job", "206", "--name", "x", "--", "/nonexistent/program")), ExitCodes.BAD_INPUT,
                "cannot run /nonexistent/program");
        assertFails(run(profile("--job", "206", "--name", "x", "--", "true")), ExitCodes.BAD_INPUT,
                "too short to measure a slowdown of a few percent");
        if (streamProfiled()) {
            assertFails(run(profile("--job", "299", "--name", "stream", "--", "true")), ExitCodes.BAD_INPUT,
                    "the name 'stream' belongs to job 201");
        }
        assertFails(run(profile("--job", "206", "--name", "x", "--cmdline", "(", "--", "true")), ExitCodes.BAD_INPUT,
                "not a valid regular expression");
        List<String> instant = new ArrayList<>(profile("--job", "206", "--name", "x", "--", "true"));
        instant.set(instant.indexOf("--duration") + 1, "0");
        assertFails(run(instant), ExitCodes.BAD_INPUT, "baseline duration");
        assertTrue(store.readAllProfiles().items().stream().noneMatch(p -> p.jobId() == 206 || p.jobId() == 299));
        assertFails(run(List.of("profile", "--pgid", "1", "--socket", dir.resolve("none.sock").toString())),
                ExitCodes.NOT_RUNNING, "daemon is not running");

        List<String> corun = List.of("corun", "--mongo-uri", uri, "--socket", dir.resolve("none.sock").toString(),
                "--topology", "0,1");
        // the compute program's profile (202), which the first test stores even when the stream's skips
        List<String> unknown = new ArrayList<>(corun);
        unknown.addAll(List.of("--jobs", "202,777"));
        assertFails(run(unknown), ExitCodes.BAD_INPUT, "job 777 has no profile");
        Profile imported = new Profile(208, "imported", null, 1, 1, 1, stored(202).resources());
        store.importData(new Dataset(List.of(), List.of(imported), List.of()));
        List<String> notMeasured = new ArrayList<>(corun);
        notMeasured.addAll(List.of("--jobs", "202,208"));
        assertFails(run(notMeasured), ExitCodes.BAD_INPUT, "job 208's profile does not say how to run it");
        assertEquals(List.of(), leftovers());
    }

    private static void assertFails(CliRun r, int code, String expected) {
        assertEquals(code, r.code(), r.out() + r.err());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.contains(expected), err);
    }

    /**
     * `profile` in a JVM of its own, so that it can be interrupted and killed for real: as from a
     * terminal, with Ctrl-C at its default whatever this test's parent did with it (a shell without
     * job control starts its background commands with SIGINT ignored, and the JVM keeps an ignored
     * SIGINT ignored).
     */
    private static Process childProfile(String job, String name) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("env", "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-D" + Tools.DIR_PROPERTY + "=" + tools, "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(profile("--job", job, "--name", name, "--", TESTLOAD.toString(), "stream"));
        return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Reads the child's log (standard error) until a line contains {@code text}; keeps the rest unread. */
    private static void waitForLine(Process child, String text) throws IOException {
        StringBuilder line = new StringBuilder();
        StringBuilder all = new StringBuilder();
        var in = child.getErrorStream();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int c; System.nanoTime() < deadline && (c = in.read()) >= 0;) {
            all.append((char) c);
            if (c != '\n') {
                line.append((char) c);
            } else if (line.indexOf(text) >= 0) {
                return;
            } else {
                line.setLength(0);
            }
        }
        child.destroyForcibly();
        throw new AssertionError("no line with '" + text + "' from the child: " + all);
    }

    /** Processes of this class's profiling tools or of the test programs still alive. */
    static List<String> leftovers() throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    if (cmdline.contains(tools + "/") || cmdline.contains(TESTLOAD.toString())) {
                        out.add(p.getFileName() + ": " + cmdline.strip());
                    }
                } catch (IOException e) {
                    // Gone while looking.
                }
            }
        }
        return out;
    }
}
