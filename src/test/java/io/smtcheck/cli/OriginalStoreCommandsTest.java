// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.model.ModelJson;
import io.smtcheck.model.PredictionModel;
import io.smtcheck.model.Resource;
import io.smtcheck.model.ResourceType;
import io.smtcheck.model.Training;
import io.smtcheck.profiles.EmbeddedMongo;
import io.smtcheck.profiles.OriginalStoreWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scores, profiles export/import and train on the original SMTcheck's store, on the real embedded server. */
class OriginalStoreCommandsTest {
    @TempDir
    Path dir;

    private EmbeddedMongo server;
    private OriginalStoreWriter writer;
    private String uri;
    private Path machine;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @BeforeEach
    void start() throws Exception {
        server = EmbeddedMongo.start(dir.resolve("db"));
        writer = new OriginalStoreWriter(server.connectionString());
        writer.all();
        uri = OriginalStoreWriter.uri(server.connectionString());
        machine = Files.writeString(dir.resolve("machine.json"), OriginalStoreWriter.MACHINE_JSON);
    }

    @AfterEach
    void stop() {
        writer.close();
        server.close();
    }

    /** Per resource: sensitivity, intensity, usage, base slowdown, from the original's formulas (see OriginalProfileDataTest). */
    private static final Map<String, double[]> JOB0 = Map.of(
            "int_port", new double[] {1 - 1.0 / 1.25, 1 - 2.1 / 3.0, 1 - 2.1 / 3.0, 1 - 1.0 / 1.25},
            "int_isq", new double[] {1 - 0.6 / 1.0, 1 - 1.5 / 2.0, (75 - (55 - 0.1 * 14 / 0.3)) / 75, 1 - 1.0 / 1.25},
            "l1_dcache", new double[] {1 - 0.88 / 1.1, 1 - 1.6 / 2.0, (1.8 - 1.4) / (1.8 - 1.0), 1 - 1.1 / 1.25});
    private static final Map<String, double[]> JOB1 = Map.of(
            "int_port", new double[] {1 - 1.5 / 2.1, 1 - 2.4 / 3.0, 1 - 2.4 / 3.0, 1 - 1.5 / 2.1},
            "int_isq", new double[] {1 - 1.2 / 1.8, 1 - 1.2 / 2.0, (75 - (55 - 0.1 * 14 / 0.5)) / 75, 1 - 1.8 / 2.1},
            "l1_dcache", new double[] {1 - 1.5 / 1.9, 1 - 1.0 / 2.0, (1.8 - 1.1) / (1.8 - 1.0), 1 - 1.9 / 2.1});
    private static final List<String> ORDER = List.of("int_port", "int_isq", "l1_dcache");
    private static final double[] COEF = {0.5, 0.3, 0.2, 0.4};
    private static final double INTERCEPT = 0.05;

    /** The original's compatibility score of a beside b: scale × (1 − (coef · features + intercept)), clamped. */
    private static double compat(Map<String, double[]> a, double scaleA, Map<String, double[]> b) {
        double[] f = new double[4];
        f[0] = ORDER.stream().mapToDouble(r -> a.get(r)[3]).min().orElseThrow();
        for (int i = 0; i < 3; i++) {
            String r = ORDER.get(i);
            double ua = a.get(r)[2];
            double ub = b.get(r)[2];
            double activation = r.equals("int_isq") ? Math.max(0, ua + ub - 1) : ua * ub * (ua + ub) / 2;
            f[1 + i] = a.get(r)[0] * b.get(r)[1] * activation;
        }
        double dot = 0;
        for (int i = 0; i < 4; i++) {
            dot += COEF[i] * f[i];
        }
        return Math.min(Math.max(scaleA * (1 - (dot + INTERCEPT)), 0), 1);
    }

    private Path model() throws Exception {
        PredictionModel m = new PredictionModel(List.of(new Resource("int_port", ResourceType.PARALLEL),
                new Resource("int_isq", ResourceType.SEQUENTIAL), new Resource("l1_dcache", ResourceType.PARALLEL)),
                COEF, INTERCEPT, new Training(Instant.parse("2026-01-01T00:00:00Z"), "test", 0, 0, 0, Double.NaN, Double.NaN));
        return Files.writeString(dir.resolve("prediction_model_1.json"), ModelJson.write(m));
    }

    @Test
    void scoresAreTheOriginalsFormulaOnItsRawMeasurements() throws Exception {
        CliRun r = run("scores", "--mongo-uri", uri, "--machine-description", machine.toString(), "--model",
                model().toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode out = new ObjectMapper().readTree(r.out());
        assertEquals("job-0", out.get("workloads").get(0).get("id").asText());
        assertEquals("job-1", out.get("workloads").get(1).get("id").asText());
        double s0 = 0.9 / 1.2;
        double s1 = 1.9 / 2.0;
        assertEquals(compat(JOB0, s0, JOB1) + compat(JOB1, s1, JOB0), out.get("matrix").get(0).get(1).asDouble(), 1e-12);
        assertEquals(2 * compat(JOB0, s0, JOB0), out.get("matrix").get(0).get(0).asDouble(), 1e-12);
        assertEquals(2 * compat(JOB1, s1, JOB1), out.get("matrix").get(1).get(1).asDouble(), 1e-12);
    }

    @Test
    void exportWritesTheNativeFormatWhichImportsAndTrainsOnTheCombinationDocument() throws Exception {
        Path exported = dir.resolve("exported.json");
        CliRun e = run("profiles", "export", "--mongo-uri", uri, "--machine-description", machine.toString(), "--out",
                exported.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.err().contains("exported 3 baselines, 2 profiles and 3 samples"), e.err());
        CliRun i = run("profiles", "import", exported.toString(), "--data-dir", dir.resolve("ours").toString());
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().startsWith("imported 3 baselines, 2 profiles and 3 samples (0 already there)"), i.out());

        // Training needs more samples than the model has features: a third job, co-run with both.
        writer.jobLike0(2);
        writer.combination(OriginalStoreWriter.NODE, Map.of("0", Map.of("single", 1.25, "0", 0.8, "1", 0.9, "2", 0.85),
                "1", Map.of("single", 2.1, "0", 1.6, "1", 1.7, "2", 1.5), "2", Map.of("single", 1.25, "0", 0.95,
                        "1", 0.7, "2", 0.8)));
        CliRun t = run("train", "--mongo-uri", uri, "--machine-description", machine.toString(), "--hold-out", "0",
                "--out", dir.resolve("models").toString());
        assertEquals(0, t.code(), t.out() + t.err());
        assertTrue(t.out().startsWith("trained on 6 co-run samples (12 rows)"), t.out());
    }

    @Test
    void writesAreRefusedAndOptionsCheckedInOneLine() throws Exception {
        Path data = dir.resolve("exported.json");
        assertEquals(0, run("profiles", "export", "--mongo-uri", uri, "--machine-description", machine.toString(),
                "--out", data.toString()).code());
        CliRun refused = run("profiles", "import", data.toString(), "--mongo-uri", uri);
        assertEquals(ExitCodes.REFUSED, refused.code(), refused.err());
        assertTrue(refused.err().startsWith("import: the original SMTcheck's store at "), refused.err());

        // Every command that would write there refuses before it measures anything.
        Path marker = dir.resolve("ran");
        CliRun profile = run("profile", "--job", "9", "--name", "nine", "--mongo-uri", uri, "--machine-description",
                machine.toString(), "--", "touch", marker.toString());
        assertEquals(ExitCodes.REFUSED, profile.code(), profile.out() + profile.err());
        assertTrue(profile.err().startsWith("profile: the original SMTcheck's store at "), profile.err());
        assertTrue(Files.notExists(marker), "the workload ran before the refusal");
        CliRun corun = run("corun", "--jobs", "0,1", "--mongo-uri", uri, "--machine-description", machine.toString());
        assertEquals(ExitCodes.REFUSED, corun.code(), corun.out() + corun.err());
        assertTrue(corun.err().startsWith("corun: the original SMTcheck's store at "), corun.err());
        for (String dry : List.of("--json", "--dry-run")) {
            CliRun prune = run("profiles", "prune-observed", "--older-than", "7", dry, "--mongo-uri", uri);
            assertEquals(ExitCodes.REFUSED, prune.code(), prune.out() + prune.err());
            assertEquals(1, prune.err().strip().lines().count(), prune.err());
            assertTrue(prune.err().startsWith("prune-observed: the original SMTcheck's store at "), prune.err());
            assertTrue(prune.err().contains("cannot remove observed samples (it has none)"), prune.err());
        }

        CliRun unknown = run("scores", "--mongo-uri", uri, "--node", "nowhere", "--machine-description", machine.toString());
        assertEquals(ExitCodes.BAD_INPUT, unknown.code(), unknown.err());
        assertTrue(unknown.err().strip().endsWith("(nodes there: intel-gen11)"), unknown.err());

        // An existing store of smtcheck's own: a reading command refuses a --data-dir that does not exist.
        Files.createDirectories(dir.resolve("ours"));
        CliRun notOriginal = run("scores", "--data-dir", dir.resolve("ours").toString(), "--node", "intel-gen11");
        assertEquals(ExitCodes.USAGE, notOriginal.code(), notOriginal.err());
        assertTrue(notOriginal.err().startsWith("--node applies only to the original SMTcheck's store"), notOriginal.err());

        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"sequential\": {\"int_isq\": {\"size\": 75, \"watermark\": 80}}}");
        CliRun badMachine = run("scores", "--mongo-uri", uri, "--machine-description", bad.toString());
        assertEquals(ExitCodes.BAD_INPUT, badMachine.code(), badMachine.err());
        assertEquals("scores: " + bad + ": sequential.int_isq: watermark: 80 is not in [0, size - 2]", badMachine.err().strip());

        // Without the machine description the sequential resource is missing, and the warning says why.
        CliRun noMachine = run("scores", "--mongo-uri", uri, "--model", model().toString());
        assertEquals(0, noMachine.code(), noMachine.err());
        assertTrue(noMachine.err().contains("int_isq: a sequential resource, whose size and watermark come from the"
                + " machine description (--machine-description), which is not given"), noMachine.err());
    }
}
