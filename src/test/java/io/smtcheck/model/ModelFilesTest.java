// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ModelFilesTest {
    @TempDir
    Path dir;

    static final String GOOD = """
            {"format_version": 1,
             "resources": [{"name": "seq", "type": "sequential"}, {"name": "par", "type": "parallel"}],
             "coefficients": [0.5, 0.4, 0.6], "intercept": 0.1,
             "trained": {"at": "2025-01-01T00:00:00Z", "from": "test", "samples": 10, "held_out_samples": 2,
                         "ridge": 0.0, "r2": 0.9, "mae": null}}
            """;

    @Test
    void roundTrip() {
        PredictionModel m = ModelJson.parse(GOOD.getBytes(StandardCharsets.UTF_8), "good.json");
        assertEquals(Fixtures.TWO, m.resources());
        assertEquals(0.6, m.coefficient(2));
        assertTrue(Double.isNaN(m.training().mae()));
        PredictionModel again = ModelJson.parse(ModelJson.write(m).getBytes(StandardCharsets.UTF_8), "written");
        assertEquals(m, again);
    }

    /**
     * Each bad file is rejected with a one-line message naming the file and the field. A case
     * either gives the whole content (REPLACE empty) or replaces text of the good file.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', emptyValue = "", textBlock = """
            truncated          | {"format_version": 1, "resources": [ |                         | m.json: not valid JSON: Unexpected end-of-input
            empty              | ''                                   |                         | m.json: empty file
            not an object      | [1, 2]                               |                         | m.json: expected an object, found an array
            future version     | {"format_version": 3}                |                         | m.json: format_version: 3 is not supported (this build reads 1 and 2)
            missing version    | {"resources": []}                    |                         | m.json: format_version: missing
            missing intercept  | "intercept": 0.1,                    | ' '                     | m.json: intercept: missing
            missing trained.at | "at": "2025-01-01T00:00:00Z",        | ' '                     | m.json: trained.at: missing
            wrong coefficients | [0.5, 0.4, 0.6]                      | [0.5, 0.4]              | m.json: coefficients: 2 values, but 2 resources need 3 (min_base_slowdown first, then one per resource)
            NaN coefficient    | [0.5, 0.4, 0.6]                      | [0.5, "NaN", 0.6]       | m.json: coefficients[1]: expected a number, found the string "NaN"
            unknown type       | "parallel"                           | "superscalar"           | m.json: resources[1]: unknown resource type 'superscalar' (use sequential or parallel)
            duplicate resource | "par"                                | "seq"                   | m.json: resources[1]: 'seq' appears twice
            unknown field      | "intercept"                          | "intercpt"              | m.json: intercpt: unknown field
            string intercept   | "intercept": 0.1                     | "intercept": "0.1"      | m.json: intercept: expected a number, found the string "0.1"
            bad date           | 2025-01-01T00:00:00Z                 | yesterday               | m.json: trained.at: 'yesterday' is not an ISO-8601 instant
            negative samples   | "samples": 10                        | "samples": -1           | m.json: trained.samples: must not be negative
            """)
    void rejectsBadFiles(String name, String content, String replacement, String expected) {
        String text;
        if (replacement == null) {
            text = content.equals("''") ? "" : content;
        } else {
            assertTrue(GOOD.contains(content), "the good file contains " + content);
            text = GOOD.replace(content, replacement.equals("' '") ? "" : replacement);
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ModelJson.parse(bytes, "m.json"));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    /** Input past the parser's limits is invalid input like any other, with the file and the place named. */
    @ParameterizedTest
    @EnumSource(OversizedJson.class)
    void rejectsFilesPastTheParsersLimits(OversizedJson kind) {
        byte[] bytes = kind.into(GOOD, kind == OversizedJson.HUGE_STRING ? "from" : "intercept")
                .getBytes(StandardCharsets.UTF_8);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ModelJson.parse(bytes, "m.json"));
        assertTrue(e.getMessage().startsWith("m.json: over the reader's limits: " + kind.reason + " (line "),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @ParameterizedTest
    @EnumSource(OversizedJson.class)
    void loaderKeepsTheLastGoodModelWhenANewerFileIsPastTheLimits(OversizedJson kind) throws Exception {
        Files.writeString(dir.resolve("prediction_model_20250101T000000Z.json"), GOOD);
        ModelLoader loader = new ModelLoader(dir);
        PredictionModel good = loader.reload().current().orElseThrow().model();

        Path bad = dir.resolve("prediction_model_20250201T000000Z.json");
        Files.writeString(bad, kind.into(GOOD, "intercept"));
        ModelLoader.Result r = loader.reload();
        assertEquals(good, r.current().orElseThrow().model());
        assertFalse(r.changed());
        assertEquals(1, r.problems().size(), r.problems().toString());
        assertTrue(r.problems().get(0).startsWith(bad + ": over the reader's limits: " + kind.reason), r.problems().get(0));
        assertTrue(r.problems().get(0).endsWith("(keeping prediction_model_20250101T000000Z.json)"), r.problems().get(0));

        // A restart with the file still there: the newest valid file, and the skipped one named.
        ModelLoader restarted = new ModelLoader(dir);
        r = restarted.reload();
        assertEquals("prediction_model_20250101T000000Z.json", r.current().orElseThrow().file().getFileName().toString());
        assertEquals(1, r.problems().size(), r.problems().toString());
        assertTrue(r.problems().get(0).startsWith(bad + ": over the reader's limits: "), r.problems().get(0));
        assertTrue(r.problems().get(0).endsWith(" (skipped)"), r.problems().get(0));
    }

    @Test
    void newestFileWinsAndOthersAreIgnored() throws Exception {
        Files.writeString(dir.resolve("prediction_model_20250101T000000Z.json"), GOOD);
        Files.writeString(dir.resolve("prediction_model_20250301T000000Z.json"), GOOD);
        Files.writeString(dir.resolve("prediction_model_latest.json"), "junk");
        Files.writeString(dir.resolve(".prediction_model_20990101T000000Z.json.tmp"), "junk");
        assertEquals("prediction_model_20250301T000000Z.json", ModelFiles.newest(dir).orElseThrow().getFileName().toString());
        assertEquals(Instant.parse("2025-03-01T00:00:00Z"),
                ModelFiles.timestamp(ModelFiles.newest(dir).orElseThrow()));
    }

    @Test
    void loaderKeepsTheLastGoodModel() throws Exception {
        ModelLoader loader = new ModelLoader(dir);
        ModelLoader.Result r = loader.reload();
        assertTrue(r.current().isEmpty());
        assertTrue(r.problems().get(0).contains("no prediction_model_"), r.problems().toString());

        Files.writeString(dir.resolve("prediction_model_20250101T000000Z.json"), GOOD);
        r = loader.reload();
        assertTrue(r.ok() && r.changed());
        PredictionModel first = r.current().orElseThrow().model();

        r = loader.reload();
        assertTrue(r.ok() && !r.changed(), "same file, same content");

        Path bad = dir.resolve("prediction_model_20250201T000000Z.json");
        Files.writeString(bad, GOOD.replace("[0.5, 0.4, 0.6]", "[0.5, 0.4]"));
        r = loader.reload();
        assertFalse(r.ok());
        assertFalse(r.changed());
        assertEquals(first, r.current().orElseThrow().model());
        assertEquals(bad + ": coefficients: 2 values, but 2 resources need 3 (min_base_slowdown first, then one per"
                + " resource) (keeping prediction_model_20250101T000000Z.json)", r.problems().get(0));
        assertTrue(loader.rejection().isPresent());
        assertTrue(loader.reload().ok(), "a rejected file is reported once");

        Files.writeString(bad, GOOD.replace("0.1,", "0.2,"));
        r = loader.reload();
        assertTrue(r.ok() && r.changed(), r.problems().toString());
        assertEquals(0.2, r.current().orElseThrow().model().intercept());
        assertTrue(loader.rejection().isEmpty());
    }

    @Test
    void firstLoadFallsBackToAnOlderValidFile() throws Exception {
        Files.writeString(dir.resolve("prediction_model_20250101T000000Z.json"), GOOD);
        Files.writeString(dir.resolve("prediction_model_20250201T000000Z.json"), "{\"format_version\": 1");
        ModelLoader loader = new ModelLoader(dir);
        ModelLoader.Result r = loader.reload();
        assertTrue(r.changed());
        assertEquals("prediction_model_20250101T000000Z.json", r.current().orElseThrow().file().getFileName().toString());
        assertEquals(1, r.problems().size());
        assertTrue(r.problems().get(0).contains("prediction_model_20250201T000000Z.json: not valid JSON"));
    }

    @Test
    void missingDirectory() {
        ModelLoader.Result r = new ModelLoader(dir.resolve("nope")).reload();
        assertTrue(r.current().isEmpty());
        assertTrue(r.problems().get(0).contains("cannot list the model directory"), r.problems().toString());
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ModelFiles.readFileOrNewest(dir));
        assertTrue(e.getMessage().endsWith("no prediction_model_<yyyyMMddTHHmmssZ or Unix seconds>.json file in this directory"));
    }
}
