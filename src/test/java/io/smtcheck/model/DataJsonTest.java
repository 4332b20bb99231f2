// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DataJsonTest {
    static final String PROFILE = """
            {"job_id": 7, "name": "dgemm", "match": {"comm": "dgemm"}, "workers": 2,
             "single_ipc": 2.0, "l3_cache_ipc": 1.8,
             "resources": {"seq": {"sensitivity": 0.5, "intensity": 0.4, "usage": 0.7, "base_slowdown": 0.2},
                           "par": {"sensitivity": 0.8, "intensity": 0.3, "usage": 0.5, "base_slowdown": 0.1}}}
            """;

    private static Dataset parse(String text) {
        return DataJson.parseFile(text.getBytes(StandardCharsets.UTF_8), "data.json");
    }

    @Test
    void roundTripOfTheGeneratedDataset() {
        Dataset d = SyntheticDataset.generate(3);
        Dataset again = parse(DataJson.writeFile(d));
        assertEquals(d, again);
    }

    @Test
    void profileFields() {
        Profile p = parse("{\"profiles\": [" + PROFILE + "]}").profiles().get(0);
        assertEquals(7, p.jobId());
        assertEquals(2, p.workers());
        assertEquals(0.9, p.scaleFactor(), 1e-12);
        assertTrue(p.matches("dgemm", "./dgemm --size 4096"));
        assertFalse(p.matches("dgemm2", "dgemm"));
    }

    static final String MEASURED = """
            {"format": 1, "at": "2026-11-22T07:00:00Z", "progress": "run_time", "command": ["./stream", "--big"],
             "working_dir": "/srv/jobs", "machine": {"id": "ab12", "cpu_model": "AMD EPYC", "topology": "0,1",
             "kernel": "6.1.0", "host": "node7"}, "cpus": [0, 1], "repeats": 3, "levels": [0.25, 0.5, 1],
             "solo_seconds": 0.41, "l3": "not measured"}
            """;

    @Test
    void aMeasuredProfileKeepsHowAndWhere() {
        String text = "{\"profiles\": [" + PROFILE.replace("\"workers\": 2,", "\"workers\": 2, \"measured\": " + MEASURED + ",")
                + "], \"baselines\": [{\"resource\": \"mem_bw\", \"type\": \"sequential\", \"injector\": \"i\","
                + " \"solo_rate\": 19000}]}";
        Dataset d = parse(text);
        Measurement m = d.profiles().get(0).measured();
        assertEquals(Measurement.Progress.RUN_TIME, m.progress());
        assertEquals(java.util.List.of("./stream", "--big"), m.command());
        assertEquals("node7", m.machine().host());
        assertEquals(java.util.List.of(0.25, 0.5, 1.0), m.levels());
        assertEquals(19000, d.baselines().get(0).soloRate());
        assertTrue(Double.isNaN(d.baselines().get(0).soloIpc()));
        assertEquals(d, parse(DataJson.writeFile(d)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            other format       | "format": 1             | "format": 3             | profiles[0].measured.format: 3 is not supported (this build reads 1 and 2)
            relative directory | "/srv/jobs"              | "jobs"                  | profiles[0].measured.working_dir: 'jobs' is not absolute
            empty command      | ["./stream", "--big"]   | []                      | profiles[0].measured.command: needs at least the program
            one CPU            | "cpus": [0, 1]          | "cpus": [0]             | profiles[0].measured.cpus: [0] is not two different CPUs
            unordered levels   | [0.25, 0.5, 1]          | [0.5, 0.25, 1]          | profiles[0].measured.levels: [0.5, 0.25, 1.0] must ascend within (0, 1]
            unknown progress   | "run_time"              | "wall"                  | profiles[0].measured.progress: 'wall' is not ipc, run_time or in_situ
            bad instant        | "2026-11-22T07:00:00Z"  | "yesterday"             | profiles[0].measured.at: not an ISO-8601 instant
            no machine id      | "id": "ab12",           | ''                      | profiles[0].measured.machine.id: missing
            """)
    void rejectsBadMeasurements(String name, String old, String replacement, String expected) {
        String measured = MEASURED.replace(old, replacement.equals("''") ? "" : replacement);
        String text = "{\"profiles\": [" + PROFILE.replace("\"workers\": 2,", "\"workers\": 2, \"measured\": " + measured + ",")
                + "]}";
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aBaselineNeedsItsIpcOrItsRate() {
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> parse(
                "{\"baselines\": [{\"resource\": \"mem_bw\", \"type\": \"sequential\", \"injector\": \"i\"}]}"));
        assertTrue(e.getMessage().contains("baselines[0].solo_ipc or solo_rate is required"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            negative job id   | "job_id": 7                 | "job_id": -7                | data.json: profiles[0].job_id: -7 is negative
            fractional job id | "job_id": 7                 | "job_id": 7.5               | data.json: profiles[0].job_id: expected an integer, found 7.5
            missing name      | "name": "dgemm",            | ''                          | data.json: profiles[0].name: missing
            usage above 1     | "usage": 0.7                | "usage": 1.7                | data.json: profiles[0].resources.seq.usage: 1.7 is not in [0, 1]
            missing intensity | "intensity": 0.3,           | ''                          | data.json: profiles[0].resources.par.intensity: missing
            zero IPC          | "single_ipc": 2.0           | "single_ipc": 0             | data.json: profiles[0].single_ipc: 0.0 is not a finite number > 0
            long comm         | "comm": "dgemm"             | "comm": "a-very-long-command" | data.json: profiles[0].match.comm: 'a-very-long-command' must be 1 to 15 bytes
            bad regex         | "comm": "dgemm"             | "cmdline": "(unclosed"       | data.json: profiles[0].match.cmdline: not a valid regular expression
            empty match       | "comm": "dgemm"             | ''                           | data.json: profiles[0].match: needs "comm", "cmdline" or both
            zero workers      | "workers": 2                | "workers": 0                 | data.json: profiles[0].workers: 0 is less than 1
            unknown field     | "workers": 2                | "wrokers": 2                 | data.json: profiles[0].wrokers: unknown field
            bad resource name | "seq":                      | "Seq Q":                     | data.json: profiles[0].resources: resource name 'Seq Q' is invalid
            """)
    void rejectsBadProfiles(String name, String old, String replacement, String expected) {
        String text = "{\"profiles\": [" + PROFILE.replace(old, replacement.equals("''") ? "" : replacement) + "]}";
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> parse(text));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }

    @Test
    void rejectsDuplicatesAndBadSections() {
        String two = "{\"profiles\": [" + PROFILE + "," + PROFILE.replace("\"job_id\": 7", "\"job_id\": 8") + "]}";
        assertEquals("data.json: profiles[1].name: 'dgemm' is also profiles[0]'s",
                assertThrows(InvalidDataException.class, () -> parse(two)).getMessage());
        String sameJob = "{\"profiles\": [" + PROFILE + "," + PROFILE.replace("\"dgemm\",", "\"other\",") + "]}";
        assertEquals("data.json: profiles[1].job_id: 7 is also profiles[0]'s",
                assertThrows(InvalidDataException.class, () -> parse(sameJob)).getMessage());
        assertEquals("data.json: samples[0].slowdown_b: 3.0 is not in [-1, 1]",
                assertThrows(InvalidDataException.class, () -> parse(
                        "{\"samples\": [{\"job_a\": 1, \"job_b\": 2, \"slowdown_a\": 0.1, \"slowdown_b\": 3}]}")).getMessage());
        assertEquals("data.json: baselines[0].type: unknown resource type 'serial' (use sequential or parallel)",
                assertThrows(InvalidDataException.class, () -> parse(
                        "{\"baselines\": [{\"resource\": \"l2\", \"type\": \"serial\", \"injector\": \"i\", \"solo_ipc\": 1}]}"))
                        .getMessage());
        assertEquals("data.json: profile: unknown field (expected one of [baselines, description, profiles, samples])",
                assertThrows(InvalidDataException.class, () -> parse("{\"profile\": []}")).getMessage());
    }

    @Test
    void cmdlineRuleIsASearch() {
        ProcessMatch m = new ProcessMatch(null, "^python3? .*train\\.py( |$)");
        assertTrue(m.matches("python3", "python3 /srv/ml/train.py --epochs 3"));
        assertFalse(m.matches("python3", "python3 /srv/ml/eval.py"));
        assertFalse(m.matches("python3", null));
        ProcessMatch both = new ProcessMatch("postgres", "SELECT");
        assertTrue(both.matches("postgres", "postgres: app db SELECT"));
        assertFalse(both.matches("psql", "postgres: app db SELECT"));
    }
}
