// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluateCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void theSameSeedGivesTheSameBytesAndEveryPolicyFinishesTheLoad() throws Exception {
        String[] args = {"evaluate", "--replay", "sample", "--generate", "40", "--rate", "0.5", "--cores", "4",
            "--seed", "7", "--json"};
        CliRun one = run(args);
        assertEquals(0, one.code(), one.err());
        assertEquals(one.out(), run(args).out());
        JsonNode report = new ObjectMapper().readTree(one.out());
        assertEquals(5, report.get("policies").size());
        for (JsonNode p : report.get("policies")) {
            assertEquals(40, p.get("finished").asInt(), p.get("policy").asText());
            assertEquals(40, p.get("jobs").size());
        }
        assertEquals("linux", report.get("policies").get(0).get("policy").asText());
        assertEquals(0, report.get("policies").get(0).get("pins").asInt());
        args[10] = "8";
        assertTrue(!one.out().equals(run(args).out()), "another seed, another load");
    }

    @Test
    void aMatrixFileAndATraceGiveTheResultWorkedOutByHand() throws Exception {
        Path matrix = file("m.json", "{\"workloads\":[\"a\",\"b\"],\"slowdown\":[[0.4,0.5],[0.25,0.4]]}");
        Path trace = file("t.trace", "# arrival work workers payload\n0 10 1 a\n0 10 1 b\n");
        CliRun r = run("evaluate", "--replay", matrix.toString(), "--trace", trace.toString(), "--cores", "1",
                "--policy", "oracle,smt-off", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode report = new ObjectMapper().readTree(r.out());
        // Sharing the core: b ends at 10 / 0.75, a then finishes alone. SMT off: one after the other.
        JsonNode oracle = report.get("policies").get(0);
        double endB = 10 / 0.75;
        double endA = endB + 10 - 0.5 * endB;
        assertEquals(endA, oracle.get("jobs").get(0).get("end_s").asDouble(), 1e-9);
        assertEquals(endB, oracle.get("jobs").get(1).get("end_s").asDouble(), 1e-9);
        assertEquals(10 / endA + 10 / endB, oracle.get("stp").asDouble(), 1e-9);
        JsonNode off = report.get("policies").get(1);
        assertEquals(1.5, off.get("stp").asDouble(), 1e-9);
        assertEquals(1.5, off.get("antt").asDouble(), 1e-9);
        assertEquals(20, off.get("makespan_s").asDouble(), 1e-9);
    }

    @Test
    void aWrittenTraceReplaysAsTheGeneratedLoad() throws Exception {
        Path written = dir.resolve("load.trace");
        CliRun generated = run("evaluate", "--replay", "sample", "--generate", "20", "--cores", "2", "--write-trace",
                written.toString(), "--json");
        assertEquals(0, generated.code(), generated.err());
        CliRun replayed = run("evaluate", "--replay", "sample", "--trace", written.toString(), "--cores", "2", "--json");
        assertEquals(0, replayed.code(), replayed.err());
        ObjectMapper json = new ObjectMapper();
        JsonNode a = json.readTree(generated.out()).get("policies");
        JsonNode b = json.readTree(replayed.out()).get("policies");
        for (int p = 0; p < a.size(); p++) {
            assertEquals(a.get(p).get("stp"), b.get(p).get("stp"));
            assertEquals(a.get(p).get("makespan_s"), b.get(p).get("makespan_s"));
        }
    }

    @Test
    void plotsAreWrittenAsPngImages() throws Exception {
        Path plots = Files.createDirectory(dir.resolve("plots"));
        CliRun r = run("evaluate", "--replay", "sample", "--generate", "30", "--cores", "4", "--policy", "linux,smtcheck",
                "--plots", plots.toString());
        assertEquals(0, r.code(), r.err());
        for (String name : new String[] {"slowdown-cdf.png", "stp.png", "timeline-linux.png", "timeline-smtcheck.png"}) {
            java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(plots.resolve(name).toFile());
            assertEquals(1000, image.getWidth(), name);
            assertEquals(600, image.getHeight(), name);
            assertTrue(r.err().contains("wrote " + plots.resolve(name)), r.err());
        }
        // A directory not there yet is made; a path that is a file is refused before anything runs.
        Path fresh = dir.resolve("absent/plots");
        assertEquals(0, run("evaluate", "--replay", "sample", "--generate", "3", "--plots", fresh.toString()).code());
        assertTrue(Files.exists(fresh.resolve("stp.svg")));
        Path file = Files.writeString(dir.resolve("a-file"), "");
        CliRun refused = run("evaluate", "--replay", "sample", "--generate", "3", "--plots", file.toString());
        assertEquals(ExitCodes.BAD_INPUT, refused.code());
        assertEquals("evaluate: " + file + ": --plots: not a directory", refused.err().strip());
        assertEquals("", refused.out(), "nothing ran");
    }

    @Test
    void everyPngHasAnSvgBesideItWithTheChartsText() throws Exception {
        Path plots = Files.createDirectory(dir.resolve("plots"));
        CliRun r = run("evaluate", "--replay", "sample", "--generate", "20", "--cores", "4", "--policy", "linux,smt-off",
                "--plots", plots.toString());
        assertEquals(0, r.code(), r.err());
        String[][] expected = {
            {"slowdown-cdf", "Slowdown CDF", "smt-off"},
            {"stp", "System throughput (STP) per policy", "linux"},
            {"timeline-linux", "Placements under linux", "dgemm"},
            {"timeline-smt-off", "Placements under smt-off", "seconds"},
        };
        try (var pngs = Files.list(plots)) {
            assertEquals(4, pngs.filter(p -> p.toString().endsWith(".png")).count());
        }
        for (String[] e : expected) {
            Path svg = plots.resolve(e[0] + ".svg");
            assertTrue(r.err().contains("wrote " + svg), r.err());
            var factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            // Batik names the SVG 1.0 DTD; parsing must not reach out for it.
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            org.w3c.dom.Document doc = factory.newDocumentBuilder().parse(svg.toFile());
            assertEquals("svg", doc.getDocumentElement().getLocalName(), e[0]);
            assertEquals("http://www.w3.org/2000/svg", doc.getDocumentElement().getNamespaceURI(), e[0]);
            String text = doc.getDocumentElement().getTextContent();
            assertTrue(text.contains(e[1]), e[0] + ": title missing: " + text);
            assertTrue(text.contains(e[2]), e[0] + ": '" + e[2] + "' missing: " + text);
        }
    }

    @Test
    void aTableByDefault() {
        CliRun r = run("evaluate", "--replay", "sample", "--generate", "10", "--cores", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("replay of 10 jobs (generated: 10 jobs, seed 1"), r.out());
        for (String policy : new String[] {"linux", "random", "smtcheck", "oracle", "smt-off"}) {
            assertTrue(r.out().contains("\n" + policy + " "), r.out());
        }
        assertTrue(r.out().contains("\nthe shipped sample data is synthetic"), r.out());
    }

    @Test
    void anUnknownPayloadIsRefusedOnOneLineNamingTheLine() throws Exception {
        Path trace = file("t.trace", "0 10 1 dgemm\n3 10 1 no-such-thing\n");
        CliRun r = run("evaluate", "--replay", "sample", "--trace", trace.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
        assertEquals("evaluate: " + trace + ": line 2: payload: 'no-such-thing' is not a workload of the shipped"
                + " sample data\n", r.err());
    }

    @Test
    void aNegativeTimeIsRefusedNamingTheLineAndTheField() throws Exception {
        Path trace = file("t.trace", "# x\n-2 10 1 dgemm\n");
        CliRun r = run("evaluate", "--replay", "sample", "--trace", trace.toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals("evaluate: " + trace + ": line 2: arrival_s: -2 is negative\n", r.err());
    }

    @Test
    void aBadMatrixIsRefusedNamingTheField() throws Exception {
        Path matrix = file("m.json", "{\"workloads\":[\"a\"],\"slowdown\":[[\"x\"]]}");
        CliRun r = run("evaluate", "--replay", matrix.toString(), "--generate", "3");
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals("evaluate: " + matrix + ": slowdown[0][0]: expected a number, found the string \"x\"\n", r.err());
    }

    @Test
    void badOptionsAreCommandLineErrors() throws Exception {
        assertEquals(ExitCodes.USAGE, run("evaluate", "--replay", "sample", "--generate", "3", "--policy", "fifo").code());
        assertEquals(ExitCodes.USAGE, run("evaluate", "--replay", "sample", "--generate", "3", "--cores", "0").code());
        assertEquals(ExitCodes.USAGE, run("evaluate", "--replay", "sample", "--generate", "3", "--work", "5").code());
        assertEquals(ExitCodes.USAGE, run("evaluate", "--replay", "sample", "--generate", "0").code());
        Path trace = file("t.trace", "0 10 1 dgemm\n");
        assertEquals(ExitCodes.USAGE, run("evaluate", "--replay", "sample", "--trace", trace.toString(), "--rate", "2")
                .code());
        assertEquals(ExitCodes.BAD_INPUT, run("evaluate", "--replay", dir.resolve("absent.json").toString(),
                "--generate", "3").code());
    }

    /** The process groups that jobs of a live run ran as, from its stderr. */
    private static java.util.Set<Integer> jobGroups(String err) {
        java.util.Set<Integer> out = new java.util.TreeSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("runs as process group (\\d+)").matcher(err);
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    /** Processes of this machine in any of {@code groups}, from /proc/PID/stat. */
    private static java.util.List<String> processesIn(java.util.Set<Integer> groups) throws Exception {
        java.util.List<String> found = new java.util.ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (groups.contains(Integer.parseInt(f[2]))) {
                        found.add(p.getFileName() + " " + stat);
                    }
                } catch (java.io.IOException e) {
                    // ended meanwhile
                }
            }
        }
        return found;
    }

    @Test
    @org.junit.jupiter.api.Timeout(180)
    void anInterruptedLiveEvaluationLeavesNoProcessAndResumesFromItsState() throws Exception {
        Path trace = file("live.trace", "0 1.5 1 a sleep 1.5\n0 1.5 1 b sleep 1.5\n");
        Path state = dir.resolve("state.json");
        Path err = dir.resolve("child.err");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "io.smtcheck.cli.Main", "evaluate", "--live", "--trace",
                trace.toString(), "--topology", "0,1", "--policy", "linux,smt-off", "--state", state.toString())
                .redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!Files.readString(err).contains("smt-off: j1 runs as process group") && child.isAlive()
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(child.isAlive(), Files.readString(err));
        java.util.Set<Integer> groups = jobGroups(Files.readString(err));
        assertEquals(4, groups.size(), Files.readString(err)); // one alone (both jobs are the same command), two under linux, one so far
        child.destroy(); // SIGTERM
        child.waitFor();
        assertEquals(java.util.List.of(), processesIn(groups), "jobs left behind by the interrupted evaluation");
        JsonNode saved = new ObjectMapper().readTree(state.toFile());
        assertEquals(1, saved.get("runs").size(), saved.toString());
        assertEquals("linux", saved.get("runs").get(0).get("policy").asText());

        CliRun resumed = run("evaluate", "--live", "--trace", trace.toString(), "--topology", "0,1", "--policy",
                "linux,smt-off", "--state", state.toString(), "--json");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("linux: done before, from " + state), resumed.err());
        assertFalse(resumed.err().contains("measuring each job alone"), resumed.err());
        assertFalse(resumed.err().contains("linux: j1 runs"), resumed.err());
        JsonNode out = new ObjectMapper().readTree(resumed.out());
        assertEquals("live", out.get("mode").asText());
        assertEquals(2, out.get("policies").size());
        for (JsonNode p : out.get("policies")) {
            assertEquals(2, p.get("finished").asInt(), p.toString());
            assertTrue(p.get("stp").asDouble() > 0, p.toString());
            for (JsonNode j : p.get("jobs")) {
                assertTrue(j.get("turnaround_s").asDouble() >= 0.9 * j.get("alone_s").asDouble(), j.toString());
            }
        }
        JsonNode smtOff = out.get("policies").get(1);
        assertEquals(2, smtOff.get("pins").asInt());
        // One CPU under smt-off on this topology: the second job waited for the first.
        assertTrue(smtOff.get("makespan_s").asDouble() >= 2.7, smtOff.toString());

        Path other = file("other.trace", "0 1 1 a sleep 1\n");
        CliRun refused = run("evaluate", "--live", "--trace", other.toString(), "--topology", "0,1", "--state",
                state.toString());
        assertEquals(ExitCodes.BAD_INPUT, refused.code(), refused.err());
        assertTrue(refused.err().contains(state + ": made for another trace or other options"), refused.err());
    }

    @Test
    void liveRefusesWhatItCannotRun() throws Exception {
        Path trace = file("m.trace", "0 1 1 dgemm\n");
        CliRun r = run("evaluate", "--live", "--trace", trace.toString(), "--topology", "0,1");
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertTrue(r.err().contains(trace + ": line 1: payload: 'dgemm' has no program to run live"), r.err());
        r = run("evaluate", "--live", "--trace", trace.toString(), "--policy", "oracle");
        assertEquals(ExitCodes.USAGE, r.code());
        assertTrue(r.err().contains("oracle plans on the true slowdowns"), r.err());
        r = run("evaluate", "--replay", "sample", "--generate", "3", "--state", dir.resolve("s").toString());
        assertEquals(ExitCodes.USAGE, r.code());
        assertTrue(r.err().contains("--state and --topology need --live"), r.err());
    }

    @Test
    void aLiveTableSaysWhenTheMachineHasNoSmtSiblings() throws Exception {
        Path trace = file("s.trace", "0 0.3 1 int_alu@0.5\n");
        CliRun r = run("evaluate", "--live", "--trace", trace.toString(), "--topology", "0,1", "--policy", "random");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("random          1/1"), r.out());
        boolean smt = false;
        try (var cores = Files.list(Path.of("/sys/devices/system/cpu"))) {
            for (Path c : cores.filter(p -> p.getFileName().toString().matches("cpu\\d+")).toList()) {
                Path list = c.resolve("topology/thread_siblings_list");
                smt |= Files.exists(list) && Files.readString(list).strip().matches(".*[,-].*");
            }
        }
        assertEquals(!smt, r.out().contains("this machine has no SMT siblings"), r.out());
    }
}
