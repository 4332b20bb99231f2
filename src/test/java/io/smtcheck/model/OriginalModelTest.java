// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Model files of the original SMTcheck, and one meaning per resource name across both catalogues. */
class OriginalModelTest {
    static final List<String> FEATURES = Catalogue.ORIGINAL_MODEL_FEATURES;
    static final double[] COEFFICIENTS = {0.41, 0.12, 0.3, 0.05, 0.22, 0.18, 0.27, 0.09};
    static final double INTERCEPT = 0.013;
    static final String FILE = OriginalFormula.modelFile(FEATURES, COEFFICIENTS, INTERCEPT);

    @TempDir
    Path dir;

    private static PredictionModel parse(String text) {
        return ModelJson.parse(text.getBytes(StandardCharsets.UTF_8), "m.json");
    }

    @Test
    void itsModelFileIsReadWithTheTypesOfItsCatalogue() {
        PredictionModel m = parse(FILE);
        assertEquals(PredictionModel.Format.ORIGINAL, m.format());
        assertNull(m.training());
        assertEquals(FEATURES, m.resources().stream().map(Resource::name).toList());
        assertEquals(List.of(ResourceType.PARALLEL, ResourceType.SEQUENTIAL, ResourceType.PARALLEL,
                ResourceType.SEQUENTIAL, ResourceType.PARALLEL, ResourceType.PARALLEL, ResourceType.PARALLEL),
                m.resources().stream().map(Resource::type).toList());
        assertEquals(0.27, m.coefficient(6));
        assertEquals(INTERCEPT, m.intercept());
        // Written back in its own format, which reads as the same model.
        String written = ModelJson.write(m);
        assertTrue(written.contains("\"feature_list\"") && !written.contains("format_version"), written);
        assertEquals(m, parse(written));
    }

    /** Our scores of its model equal its own formula's, for random characteristics. */
    @Test
    void scoresEqualTheOriginalFormula() {
        PredictionModel m = parse(FILE);
        Random r = new Random(20261202);
        for (int i = 0; i < 500; i++) {
            Profile a = OriginalFormula.randomProfile(r, 1, FEATURES);
            Profile b = OriginalFormula.randomProfile(r, 2, FEATURES);
            ScoreFormula.Operand oa = ScoreFormula.prepare(m, a);
            ScoreFormula.Operand ob = ScoreFormula.prepare(m, b);
            assertEquals(OriginalFormula.compatibility(FEATURES, COEFFICIENTS, INTERCEPT, a, b),
                    ScoreFormula.compat(m, oa, ob), 1e-9);
            assertEquals(OriginalFormula.symbiotic(FEATURES, COEFFICIENTS, INTERCEPT, a, b),
                    ScoreFormula.symbiotic(m, oa, ob), 1e-9);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            feature not in its catalogue | "l1_dtlb"]             | "rob"]                    | m.json: feature_list[7]: 'rob' is not a resource of the original SMTcheck's catalogue (int_isq,
            one of ours                  | "l1_dtlb"]             | "mem_bw"]                 | m.json: feature_list[7]: 'mem_bw' is not a resource of the original SMTcheck's catalogue
            no base first                | ["base",               | [                         | m.json: feature_list[0]: must be "base" (the minimum base slowdown), found "int_port"
            fewer coefficients           | , 0.09]                | ]                         | m.json: coefficients: 7 values, but feature_list has 8 features
            more coefficients            | , 0.09]                | , 0.09, 0.1]              | m.json: coefficients: 9 values, but feature_list has 8 features
            NaN, as Python writes it     | 0.27                   | NaN                       | m.json: not valid JSON: Non-standard token 'NaN' (line 1, column
            NaN as a string              | 0.27                   | "NaN"                     | m.json: coefficients[6]: expected a number, found the string "NaN"
            infinite intercept           | "intercept": 0.013     | "intercept": 1e999        | m.json: intercept: Infinity is not a finite number
            missing intercept            | , "intercept": 0.013   | ''                        | m.json: intercept: missing
            unknown field                | "intercept"            | "intercep"                | m.json: intercep: unknown field
            """)
    void badFilesOfItsFormatAreRefused(String name, String text, String replacement, String expected) {
        assertTrue(FILE.contains(text), text);
        String bad = FILE.replace(text, replacement.equals("''") ? "" : replacement);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> parse(bad));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("JsonReadFeature"), e.getMessage());
    }

    @Test
    void aFileOfNeitherFormatSaysWhatEachHas() {
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> parse("{\"coefficients\": []}"));
        assertEquals("m.json: format_version: missing (smtcheck's model files have format_version, the original"
                + " SMTcheck's have feature_list; this file has neither)", e.getMessage());
    }

    /** The newest of either naming wins: Unix seconds as its tools write, or our UTC stamp. */
    @Test
    void theNewestFileOfEitherNamingWins() throws Exception {
        Files.writeString(dir.resolve("prediction_model_20251201T000000Z.json"), ModelJson.write(SyntheticDataset.trueModel()));
        // 2025-12-02T00:00:00Z
        Files.writeString(dir.resolve("prediction_model_1764633600.json"), FILE);
        Files.writeString(dir.resolve("prediction_model_17646336x.json"), "junk");
        ModelLoader loader = new ModelLoader(dir);
        ModelLoader.Result r = loader.reload();
        assertTrue(r.ok(), r.problems().toString());
        assertEquals("prediction_model_1764633600.json", r.current().orElseThrow().file().getFileName().toString());
        assertEquals(PredictionModel.Format.ORIGINAL, r.current().orElseThrow().model().format());

        Files.writeString(dir.resolve("prediction_model_20251203T000000Z.json"), ModelJson.write(SyntheticDataset.trueModel()));
        r = loader.reload();
        assertTrue(r.changed(), r.toString());
        assertEquals(PredictionModel.Format.SMTCHECK, r.current().orElseThrow().model().format());
        assertEquals(List.of("prediction_model_20251203T000000Z.json", "prediction_model_1764633600.json",
                "prediction_model_20251201T000000Z.json"),
                ModelFiles.list(dir).stream().map(p -> p.getFileName().toString()).toList());
    }

    /** A name the other catalogue types otherwise is refused, saying what the name means. */
    @Test
    void aKnownNameCannotChangeItsType() {
        String v2 = """
                {"format_version": 2, "resources": [{"name": "l1_dcache", "type": "sequential"}],
                 "coefficients": [0.5, 0.4], "intercept": 0.1,
                 "trained": {"at": "2025-01-01T00:00:00Z", "from": "t", "samples": 1, "held_out_samples": 0, "ridge": 0}}
                """;
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> parse(v2));
        assertEquals("m.json: resources[0]: 'l1_dcache' is the L1 data cache of the original SMTcheck's catalogue,"
                + " a parallel resource, not sequential; smtcheck's own sequential resource is named 'l1d_capacity'",
                e.getMessage());
        InvalidDataException ours = assertThrows(InvalidDataException.class,
                () -> parse(v2.replace("\"l1_dcache\", \"type\": \"sequential\"", "\"mem_bw\", \"type\": \"parallel\"")));
        assertTrue(ours.getMessage().contains("'mem_bw' is the memory bandwidth of smtcheck's catalogue, a sequential"
                + " resource, not parallel"), ours.getMessage());
        // A name neither catalogue knows keeps the type its file gives.
        assertEquals(ResourceType.PARALLEL, parse(v2.replace("\"l1_dcache\", \"type\": \"sequential\"",
                "\"my_unit\", \"type\": \"parallel\"")).resources().get(0).type());
    }

    /** smtcheck's files of the earlier formats named its capacity resources as the original names its caches. */
    @Test
    void earlierFilesAreReadWithTodaysNames() {
        String v1 = """
                {"format_version": 1, "resources": [{"name": "l1_dcache", "type": "sequential"},
                                                    {"name": "l2_cache", "type": "sequential"}],
                 "coefficients": [0.5, 0.4, 0.3], "intercept": 0.1,
                 "trained": {"at": "2025-01-01T00:00:00Z", "from": "t", "samples": 1, "held_out_samples": 0, "ridge": 0}}
                """;
        PredictionModel m = parse(v1);
        assertEquals(List.of(new Resource("l1d_capacity", ResourceType.SEQUENTIAL),
                new Resource("l2_capacity", ResourceType.SEQUENTIAL)), m.resources());
        assertTrue(ModelJson.write(m).contains("\"format_version\" : 2"), ModelJson.write(m));

        String data = """
                {"baselines": [{"resource": "l1_dcache", "type": "sequential", "injector": "inject", "solo_ipc": 2.0}],
                 "profiles": [{"job_id": 1, "name": "a", "single_ipc": 1.0, "l3_cache_ipc": 0.9,
                               "resources": {"l1_dcache": {"sensitivity": 0.1, "intensity": 0.2, "usage": 0.3, "base_slowdown": 0.0}}}]}
                """;
        Dataset d = DataJson.parseFile(data.getBytes(StandardCharsets.UTF_8), "d.json");
        assertEquals("l1d_capacity", d.baselines().get(0).resource());
        assertEquals(List.of("l1d_capacity"), List.copyOf(d.profiles().get(0).resources().keySet()));

        String measured = data.replaceAll("\"baselines\": \\[.*\\],", "")
                .replace("\"resources\":", "\"measured\": " + DataJsonTest.MEASURED + ", \"resources\":");
        Profile p = DataJson.parseFile(measured.getBytes(StandardCharsets.UTF_8), "d.json").profiles().get(0);
        assertEquals(List.of("l1d_capacity"), List.copyOf(p.resources().keySet()));
        assertEquals(Measurement.FORMAT, p.measured().format());

        // Without such a baseline or a measurement of format 1, the name means what the catalogue says.
        Dataset plain = DataJson.parseFile(data.replaceAll("\"baselines\": \\[.*\\],", "").getBytes(StandardCharsets.UTF_8), "d.json");
        assertEquals(List.of("l1_dcache"), List.copyOf(plain.profiles().get(0).resources().keySet()));
    }
}
