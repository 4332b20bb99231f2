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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlanCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path file(String json) throws Exception {
        Path p = Files.createTempFile(dir, "scores", ".json");
        Files.writeString(p, json);
        return p;
    }

    private static final String GOOD = """
            {"workloads":[{"id":"a","workers":1},{"id":"b","workers":1},{"id":"c","workers":2}],
             "matrix":[[0.1,1.8,0.9],[1.8,0.2,0.7],[0.9,0.7,1.6]], "solo":0.5}
            """;

    @Test
    void jsonPlanTotalsFromTheMatrix() throws Exception {
        CliRun r = run("plan", "--scores", file(GOOD).toString(), "--topology", "0,1", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertEquals("exact", plan.get("mode").asText());
        assertEquals(1, plan.get("cores").size());
        JsonNode core = plan.get("cores").get(0);
        assertEquals(0, core.get("core").asInt());
        assertEquals("[0,1]", core.get("cpus").toString());
        assertEquals("[\"a\",\"b\"]", core.get("workloads").toString());
        assertEquals(1.8, core.get("score").asDouble());
        assertEquals(1.8, plan.get("total").asDouble());
        assertEquals("[{\"id\":\"c\",\"threads\":2}]", plan.get("unplaced").toString());
    }

    @Test
    void tableByDefault() throws Exception {
        CliRun r = run("plan", "--scores", file(GOOD).toString(), "--topology", "0;1", "--mode", "greedy");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("mode greedy, total score 1.0000, 3 workloads (4 threads) on 2 cores"), r.out());
        // Four threads, two lone hardware threads: any two stay unplaced, all at the same score.
        assertTrue(r.out().contains("unplaced (more threads than hardware threads): "), r.out());
    }

    @Test
    void defaultTopologyIsThisMachine() throws Exception {
        CliRun r = run("plan", "--scores", file(GOOD).toString(), "--json");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void moreWorkersThanHardwareThreadsArePlannedAsManyAsFitWithAWarning() throws Exception {
        CliRun r = run("plan", "--scores", file("""
                {"workloads":[{"id":"a","workers":999999},{"id":"b","workers":1}], "matrix":[[1.5,1.0],[1.0,0.0]]}
                """).toString(), "--topology", "0,1", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals("plan: warning: 'a' has 999999 workers, more than the 2 hardware threads of the topology: at most 2"
                + " are planned, the rest are unplaced", r.err().strip());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertEquals("[\"a\",\"a\"]", plan.get("cores").get(0).get("workloads").toString());
        assertEquals("[{\"id\":\"a\",\"threads\":999997},{\"id\":\"b\",\"threads\":1}]", plan.get("unplaced").toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            malformed JSON        | {"workloads":[                                                          | Unexpected end-of-input
            non-square matrix     | {"workloads":[{"id":"a"},{"id":"b"}],"matrix":[[0,1],[1]]}               | score matrix row 1 ('b') has 1 entries
            too few rows          | {"workloads":[{"id":"a"},{"id":"b"}],"matrix":[[0,1]]}                   | score matrix has 1 rows for 2 workloads
            asymmetric matrix     | {"workloads":[{"id":"a"},{"id":"b"}],"matrix":[[0,1],[0.5,0]]}           | not symmetric: 'a' with 'b' is 1.0 but the reverse is 0.5
            NaN literal           | {"workloads":[{"id":"a"},{"id":"b"}],"matrix":[[0,NaN],[NaN,0]]}         | Non-standard token 'NaN'
            NaN as a string       | {"workloads":[{"id":"a"},{"id":"b"}],"matrix":[[0,"NaN"],["NaN",0]]}     | matrix[0][1]: expected a number, found the string "NaN"
            negative workers      | {"workloads":[{"id":"a","workers":-1}],"matrix":[[0]]}                    | workload 'a' has -1 workers
            duplicate ids         | {"workloads":[{"id":"a"},{"id":"a"}],"matrix":[[0,1],[1,0]]}             | workload id 'a' appears twice
            missing id            | {"workloads":[{"workers":1}],"matrix":[[0]]}                              | workload 0 has no id
            unknown field         | {"workloads":[{"id":"a","wrokers":1}],"matrix":[[0]]}                     | workloads[0].wrokers: unknown field (expected one of [id, workers])
            missing matrix        | {"workloads":[{"id":"a"}]}                                                | matrix: missing
            trailing garbage      | {"workloads":[{"id":"a"}],"matrix":[[0]]} x                               | line 1
            """)
    void badScoresFilesExitWithOneLineReason(String name, String json, String reason) throws Exception {
        CliRun r = run("plan", "--scores", file(json).toString(), "--topology", "0");
        assertEquals(ExitCodes.BAD_INPUT, r.code(), name + ": " + r.out());
        assertTrue(r.err().contains(reason), name + ": " + r.err());
        assertEquals(1, r.err().strip().lines().count(), name + ": " + r.err());
        assertTrue(r.out().isEmpty(), name);
    }

    @Test
    void offlineCpuInTopology() throws Exception {
        CliRun r = run("plan", "--scores", file(GOOD).toString(), "--topology", "0,1;4000,4001");
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertEquals("plan: CPU 4000 in topology '0,1;4000,4001' is not online", r.err().strip());
    }

    @Test
    void missingFile() {
        CliRun r = run("plan", "--scores", dir.resolve("absent.json").toString());
        assertEquals(ExitCodes.BAD_INPUT, r.code());
        assertTrue(r.err().strip().endsWith("absent.json: no such file"), r.err());
    }

    @Test
    void usageErrors() throws Exception {
        assertEquals(ExitCodes.USAGE, run("plan").code());
        assertEquals(ExitCodes.USAGE, run("plan", "--scores", file(GOOD).toString(), "--mode", "best").code());
        assertEquals(ExitCodes.USAGE, run("no-such-command").code());
        assertEquals(ExitCodes.USAGE, run().code());
    }

    @Test
    void helpListsExitCodes() {
        CliRun r = run("plan", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("Exit codes:"), r.out());
        assertTrue(r.out().contains("Invalid input"), r.out());
        assertFalse(r.out().isEmpty());
    }
}
