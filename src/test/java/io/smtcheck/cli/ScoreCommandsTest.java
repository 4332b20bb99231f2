// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.ModelFiles;
import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.OversizedJson;
import io.smtcheck.model.PredictionModel;
import io.smtcheck.model.Profile;
import io.smtcheck.model.SyntheticDataset;
import io.smtcheck.profiles.ProfileStore;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** scores, plan --profiles, train, model deploy/show, profiles import/export (also through a running daemon's store). */
class ScoreCommandsTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path dataset() throws Exception {
        Path p = dir.resolve("data.json");
        if (!Files.exists(p)) {
            Files.writeString(p, DataJson.writeFile(SyntheticDataset.generate(SyntheticDataset.SEED)));
        }
        return p;
    }

    private Path file(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    private static void assertOneLineFailure(CliRun r, int code, String command, String expected) {
        assertEquals(code, r.code(), r.out() + r.err());
        if (code == ExitCodes.USAGE) {
            // Command-line errors come with the usage text after the reason.
            assertTrue(r.err().lines().findFirst().orElse("").contains(expected), r.err());
            return;
        }
        String err = r.err().strip();
        assertFalse(err.contains("\n"), "one line: " + err);
        assertTrue(err.startsWith(command + ": "), err);
        assertTrue(err.contains(expected), err);
    }

    @Test
    void scoresAsTableAndAsPlanInput() throws Exception {
        CliRun r = run("scores", "--profiles", dataset().toString(), "--job", "dgemm", "--job", "stream-copy:2",
                "--job", "103", "--job", "dgemm");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("model bundled prediction_model_"), r.out());
        assertTrue(r.out().contains("dgemm#2"), r.out());
        assertTrue(r.out().contains("solo (one thread, idle sibling): "), r.out());

        CliRun json = run("scores", "--profiles", dataset().toString(), "--json");
        assertEquals(0, json.code(), json.err());
        Path scores = file("scores.json", json.out());
        JsonNode tree = new ObjectMapper().readTree(json.out());
        assertEquals(16, tree.get("workloads").size());
        assertEquals("video-encode", tree.get("workloads").get(4).get("id").asText());
        assertEquals(2, tree.get("workloads").get(4).get("workers").asInt());
        // The JSON is the plan --scores format.
        CliRun plan = run("plan", "--scores", scores.toString(), "--topology", "0,1", "--json");
        assertEquals(0, plan.code(), plan.err());
    }

    @Test
    void planFromProfilesInOneCommand() throws Exception {
        CliRun r = run("plan", "--profiles", dataset().toString(), "--job", "dgemm", "--job", "stream-copy",
                "--job", "nbody", "--job", "graph-bfs", "--topology", "0,1", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode plan = new ObjectMapper().readTree(r.out());
        assertEquals(1, plan.get("cores").size());
        assertEquals(2, plan.get("unplaced").size(), "4 threads, 2 CPUs");
        // The same plan from the scores command's output.
        CliRun scores = run("scores", "--profiles", dataset().toString(), "--job", "dgemm", "--job", "stream-copy",
                "--job", "nbody", "--job", "graph-bfs", "--json");
        CliRun viaFile = run("plan", "--scores", file("s.json", scores.out()).toString(), "--topology", "0,1", "--json");
        assertEquals(r.out(), viaFile.out());
    }

    @Test
    void trainWritesAModelThatDeployAndScoresUse() throws Exception {
        Path models = dir.resolve("models");
        CliRun r = run("train", "--samples", dataset().toString(), "--out", models.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("held-out R² 0.9"), r.out());
        assertTrue(r.out().contains("contention:mem_bw"), r.out());
        Path model = ModelFiles.newest(models).orElseThrow();
        PredictionModel m = ModelFiles.read(model);
        assertTrue(m.training().from().startsWith("co-run samples in data.json: SYNTHETIC"), m.training().from());

        Path deployed = Files.createDirectory(dir.resolve("deployed"));
        CliRun first = run("model", "deploy", model.toString(), "--dir", deployed.toString());
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().startsWith("deployed "), first.out());
        // Same content, reformatted: nothing to do.
        String reformatted = Files.readString(model).replace("\n", "\n\n");
        CliRun second = run("model", "deploy", file("copy.json", reformatted).toString(), "--dir", deployed.toString());
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().startsWith("unchanged: "), second.out());
        try (var files = Files.list(deployed)) {
            assertEquals(1, files.count());
        }
        CliRun show = run("model", "show", deployed.toString());
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("resources: fp_unit (parallel), int_alu (parallel)"), show.out());

        CliRun scores = run("scores", "--profiles", dataset().toString(), "--model", deployed.toString(), "--job", "dgemm");
        assertEquals(0, scores.code(), scores.err());
        assertTrue(scores.out().startsWith("model " + ModelFiles.newest(deployed).orElseThrow()), scores.out());
    }

    /** A model file of the original SMTcheck works with every command that takes a model, scored as it scores. */
    @Test
    void theOriginalsModelFilesWorkWhereOursDo() throws Exception {
        List<String> features = io.smtcheck.model.Catalogue.ORIGINAL_MODEL_FEATURES;
        double[] coef = {0.41, 0.12, 0.3, 0.05, 0.22, 0.18, 0.27, 0.09};
        Path models = Files.createDirectories(dir.resolve("originals"));
        Path file = models.resolve("prediction_model_1764633600.json");
        Files.writeString(file, io.smtcheck.model.OriginalFormula.modelFile(features, coef, 0.013));
        java.util.Random random = new java.util.Random(7);
        List<Profile> profiles = new java.util.ArrayList<>();
        for (int job = 1; job <= 4; job++) {
            profiles.add(io.smtcheck.model.OriginalFormula.randomProfile(random, job, features));
        }
        Path data = file("original-data.json", DataJson.writeFile(new io.smtcheck.model.Dataset(null, List.of(), profiles, List.of())));

        CliRun show = run("model", "show", models.toString());
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("format: original"), show.out());

        CliRun scores = run("scores", "--profiles", data.toString(), "--model", models.toString(), "--json");
        assertEquals(0, scores.code(), scores.err());
        JsonNode tree = new ObjectMapper().readTree(scores.out());
        JsonNode matrix = tree.get("matrix");
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++) {
                if (a != b) {
                    assertEquals(io.smtcheck.model.OriginalFormula.symbiotic(features, coef, 0.013, profiles.get(a),
                            profiles.get(b)), matrix.get(a).get(b).asDouble(), 1e-9, "job" + (a + 1) + " with job" + (b + 1));
                }
            }
        }

        CliRun plan = run("plan", "--profiles", data.toString(), "--model", file.toString(), "--job", "job1", "--job", "job2",
                "--topology", "0,1");
        assertEquals(0, plan.code(), plan.err());

        Path deployed = Files.createDirectories(dir.resolve("deployed"));
        CliRun deploy = run("model", "deploy", file.toString(), "--dir", deployed.toString());
        assertEquals(0, deploy.code(), deploy.err());
        assertTrue(run("model", "show", deployed.toString()).out().contains("format: original"));
        CliRun again = run("model", "deploy", file.toString(), "--dir", deployed.toString());
        assertTrue(again.out().startsWith("unchanged: "), again.out());
    }

    @Test
    void profilesImportExportThroughTheEmbeddedStore() throws Exception {
        Path db = dir.resolve("db");
        CliRun imported = run("profiles", "import", dataset().toString(), "--data-dir", db.toString());
        assertEquals(0, imported.code(), imported.err());
        assertTrue(imported.out().startsWith("imported 5 baselines, 16 profiles and 272 samples (0 already there)"),
                imported.out());
        Path out = dir.resolve("export.json");
        CliRun exported = run("profiles", "export", "--data-dir", db.toString(), "--out", out.toString());
        assertEquals(0, exported.code(), exported.err());
        var back = DataJson.parseFile(Files.readAllBytes(out), "export.json");
        assertEquals(SyntheticDataset.generate(SyntheticDataset.SEED).profiles(), back.profiles());

        CliRun scores = run("scores", "--data-dir", db.toString(), "--job", "dgemm", "--job", "gzip", "--json");
        assertEquals(0, scores.code(), scores.err());
        CliRun train = run("train", "--data-dir", db.toString(), "--out", dir.resolve("m").toString());
        assertEquals(0, train.code(), train.err());
    }

    @Test
    void trainTakesTheObservedSamplesOnlyWhenAsked() throws Exception {
        Path db = dir.resolve("db");
        assertEquals(0, run("profiles", "import", dataset().toString(), "--data-dir", db.toString()).code());
        List<Profile> profiles = SyntheticDataset.generate(SyntheticDataset.SEED).profiles();
        List<ObservedSample> observed = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            observed.add(new ObservedSample("m", profiles.get(i % 16).jobId(), profiles.get((i + 3) % 16).jobId(), 0.9,
                    0.9, 600, java.time.Instant.EPOCH.plusSeconds(i)));
        }
        try (ProfileStore s = ProfileStore.embedded(db)) {
            assertEquals(40, s.addObservedSamples(observed));
        }
        CliRun without = run("train", "--data-dir", db.toString(), "--out", dir.resolve("a").toString(), "--hold-out", "0");
        assertEquals(0, without.code(), without.err());
        assertTrue(without.out().startsWith("trained on 272 co-run samples"), without.out());
        CliRun with = run("train", "--data-dir", db.toString(), "--with-observed", "--out", dir.resolve("b").toString(),
                "--hold-out", "0");
        assertEquals(0, with.code(), with.err());
        assertTrue(with.out().startsWith("trained on 312 co-run samples"), with.out());
        assertTrue(with.err().contains("train: 40 observed samples included"), with.err());
        // Slowdowns of 0.9 everywhere pull the intercept up.
        PredictionModel a = ModelFiles.read(ModelFiles.list(dir.resolve("a")).get(0));
        PredictionModel b = ModelFiles.read(ModelFiles.list(dir.resolve("b")).get(0));
        assertTrue(b.intercept() > a.intercept(), a.intercept() + " then " + b.intercept());
        CliRun both = run("train", "--samples", dataset().toString(), "--with-observed");
        assertEquals(2, both.code(), both.err());
        assertTrue(both.err().contains("--with-observed reads the store's observed samples"), both.err());
    }

    @Test
    void commandsReachTheStoreOfTheRunningDaemon() throws Exception {
        Path db = dir.resolve("db");
        long pid = ProcessHandle.current().pid();
        List<Profile> profiles = SyntheticDataset.generate(SyntheticDataset.SEED).profiles();
        try (ProfileStore daemon = ProfileStore.embedded(db)) {
            CliRun imported = run("profiles", "import", dataset().toString(), "--data-dir", db.toString());
            assertEquals(0, imported.code(), imported.err());
            assertTrue(imported.err().startsWith("import: " + db + " is in use by process " + pid
                    + " (a running daemon?): using its embedded server at mongodb://%2F"), imported.err());
            assertTrue(imported.out().contains(" into the embedded server of process " + pid + " (mongodb://%2F")
                    && imported.out().contains("%2Fstore.sock"), imported.out());
            assertEquals(profiles, daemon.readAllProfiles().items());

            CliRun exported = run("profiles", "export", "--data-dir", db.toString());
            assertEquals(0, exported.code(), exported.err());
            assertEquals(profiles, DataJson.parseFile(exported.out().getBytes(UTF_8), "export").profiles());
        }
        assertFalse(Files.exists(db.resolve("server.json")));
        try (ProfileStore restarted = ProfileStore.embedded(db)) {
            assertEquals(profiles, restarted.readAllProfiles().items());
        }
    }

    @Test
    void aFileLeftByAKilledDaemonIsIgnored() throws Exception {
        Path db = dir.resolve("db");
        Files.createDirectories(db);
        publish(db, deadPid(), deadPort());
        CliRun imported = run("profiles", "import", dataset().toString(), "--data-dir", db.toString());
        assertEquals(0, imported.code(), imported.err());
        assertEquals("", imported.err());
        assertTrue(imported.out().strip().endsWith(" into embedded server (" + db + ")"), imported.out());
        assertFalse(Files.exists(db.resolve("server.json")));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            live pid, dead port | true
            dead pid            | false
            """)
    void aDirectoryInUseWithoutAnAnsweringServerIsAnError(String name, boolean livePid) throws Exception {
        Path db = dir.resolve("db");
        try (ProfileStore daemon = ProfileStore.embedded(db)) {
            publish(db, livePid ? ProcessHandle.current().pid() : deadPid(), deadPort());
            CliRun r = run("profiles", "export", "--data-dir", db.toString());
            assertOneLineFailure(r, ExitCodes.FAILURE, "export",
                    "in use by another process (a running daemon?); stop it or connect with --mongo-uri");
            assertEquals(livePid, r.err().contains("; the server published in " + db.resolve("server.json")),
                    r.err());
        }
    }

    private static void publish(Path db, long pid, int port) throws Exception {
        Files.writeString(db.resolve("server.json"), "{\"uri\": \"mongodb://127.0.0.1:" + port + "\", \"pid\": " + pid
                + ", \"started_at\": \"2024-01-01T00:00:00Z\"}");
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    private static int deadPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void unknownWorkloadGetsTheNeutralScoreWithAWarning() throws Exception {
        Path partial = file("partial.json", """
                {"profiles": [{"job_id": 1, "name": "odd", "single_ipc": 1, "l3_cache_ipc": 1,
                  "resources": {"mem_bw": {"sensitivity": 0.1, "intensity": 0.1, "usage": 0.1, "base_slowdown": 0}}},
                 {"job_id": 2, "name": "odd2", "single_ipc": 1, "l3_cache_ipc": 1,
                  "resources": {"mem_bw": {"sensitivity": 0.1, "intensity": 0.1, "usage": 0.1, "base_slowdown": 0}}}]}
                """);
        CliRun r = run("scores", "--profiles", partial.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("scores: warning: odd gets the neutral score 1.0: profile 'odd' (job 1) has no data"
                + " for the model's resources fp_unit, int_alu, l1d_capacity, l2_capacity"), r.err());
        JsonNode tree = new ObjectMapper().readTree(r.out());
        assertEquals(1.0, tree.get("matrix").get(0).get(1).asDouble());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            scores: missing file         | scores --profiles @/nope.json                          | 1 | scores   | nope.json: no such file
            scores: bad JSON             | scores --profiles @/bad.json                           | 1 | scores   | bad.json: not valid JSON
            scores: invalid profile      | scores --profiles @/invalid.json                       | 1 | scores   | invalid.json: profiles[0].single_ipc: -1.0 is not a finite number > 0
            scores: unknown job          | scores --profiles @/data.json --job nosuch              | 2 | scores   | --job 'nosuch': no profile named or numbered 'nosuch'
            scores: bad workers          | scores --profiles @/data.json --job dgemm:0             | 2 | scores   | --job 'dgemm:0': workers must be 1 to 4096
            scores: bad model            | scores --profiles @/data.json --model @/bad-model.json  | 1 | scores   | bad-model.json: coefficients: 1 values
            scores: empty model dir      | scores --profiles @/data.json --model @/                | 1 | scores   | no prediction_model_<yyyyMMddTHHmmssZ or Unix seconds>.json file in this directory
            scores: no profiles          | scores --profiles @/empty.json                         | 1 | scores   | empty.json: no profiles
            scores: bad URI              | scores --mongo-uri http://x                            | 1 | scores   | invalid MongoDB URI 'http://x'
            scores: both sources         | scores --profiles @/data.json --data-dir @/db           | 2 | scores   | --profiles cannot be combined
            plan: both inputs            | plan --profiles @/data.json --scores @/data.json        | 2 | plan     | mutually exclusive
            plan: --job without profiles | plan --scores @/data.json --job dgemm                   | 2 | plan     | --model and --job need --profiles
            plan: bad --job              | plan --profiles @/data.json --job dgemm:x --topology 0,1 | 2 | plan     | --job 'dgemm:x': no profile named or numbered 'dgemm:x'
            plan: invalid profiles       | plan --profiles @/invalid.json                         | 1 | plan     | invalid.json: profiles[0].single_ipc
            train: no samples            | train --samples @/empty.json --out @/m                  | 1 | train    | empty.json: no injector baselines
            train: unknown job           | train --samples @/orphan.json --out @/m                 | 1 | train    | samples[0]: job 7 has no profile
            train: bad ridge             | train --samples @/data.json --ridge -1                  | 2 | train    | ridge -1.0 is not a finite number >= 0
            train: bad hold-out          | train --samples @/data.json --hold-out 2                | 2 | train    | hold-out fraction 2.0 is not in [0, 0.9]
            deploy: invalid model        | model deploy @/bad-model.json --dir @/m                 | 1 | deploy   | bad-model.json: coefficients: 1 values
            deploy: missing source       | model deploy @/nope.json --dir @/m                      | 1 | deploy   | nope.json: no such file
            deploy: dir is a file        | model deploy @/good-model.json --dir @/data.json        | 1 | deploy   | data.json: not a directory
            deploy: mistyped dir         | model deploy @/good-model.json --dir @/deplyoed         | 1 | deploy   | deplyoed: no such directory (the model directory must exist)
            show: invalid model          | model show @/bad-model.json                            | 1 | show     | bad-model.json: coefficients: 1 values
            import: invalid file         | profiles import @/invalid.json --data-dir @/db          | 1 | import   | invalid.json: profiles[0].single_ipc
            import: missing file         | profiles import @/nope.json --data-dir @/db             | 1 | import   | nope.json: no such file
            import: name conflict        | profiles import @/clash.json --data-dir @/db            | 1 | import   | 1 refused: profile 'dgemm' (job 999): the name is already job 101's
            """)
    void badInputExitsWithOneLine(String name, String commandLine, int code, String command, String expected) throws Exception {
        Path data = dataset();
        file("bad.json", "{\"profiles\": [");
        file("invalid.json", "{\"profiles\": [{\"job_id\": 1, \"name\": \"x\", \"single_ipc\": -1, \"l3_cache_ipc\": 1,"
                + " \"resources\": {}}]}");
        file("empty.json", "{}");
        file("orphan.json", Files.readString(data).replaceFirst("\"job_a\" : 101", "\"job_a\" : 7"));
        file("bad-model.json", Files.readString(Path.of("trained_model").resolve(
                ModelFiles.newest(Path.of("trained_model")).orElseThrow().getFileName())).replaceFirst(
                        "\"coefficients\" : \\[[^\\]]*\\]", "\"coefficients\" : [ 1 ]"));
        file("good-model.json", Files.readString(ModelFiles.newest(Path.of("trained_model")).orElseThrow()));
        file("clash.json", "{\"profiles\": [" + DataJson.toJson(SyntheticDataset.generate(SyntheticDataset.SEED).profiles()
                .get(0)).put("job_id", 999) + "]}");
        if (name.equals("import: name conflict")) {
            assertEquals(0, run("profiles", "import", data.toString(), "--data-dir", dir.resolve("db").toString()).code());
        }
        String[] args = commandLine.trim().replace("@/", dir + "/").split("\\s+");
        CliRun r = run(args);
        assertOneLineFailure(r, code, command, expected);
        assertTrue(List.of(1, 2).contains(r.code()));
        assertFalse(Files.exists(dir.resolve("deplyoed")), "a mistyped directory is not created");
    }

    /**
     * Every file a command reads, past one of the parser's limits: invalid input (exit 1), one line
     * naming the file, never a crash.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            LONG_NUMBER  | show    | model show @/over-model.json
            LONG_NUMBER  | deploy  | model deploy @/over-model.json --dir @/
            LONG_NUMBER  | scores  | scores --profiles @/data.json --model @/over-model.json
            LONG_NUMBER  | plan    | plan --scores @/over-scores.json --topology 0,1
            LONG_NUMBER  | plan    | plan --profiles @/over-data.json --topology 0,1
            LONG_NUMBER  | scores  | scores --profiles @/over-data.json
            LONG_NUMBER  | import  | profiles import @/over-data.json --data-dir @/db
            LONG_NUMBER  | train   | train --samples @/over-data.json --out @/m
            DEEP_NESTING | show    | model show @/over-model.json
            DEEP_NESTING | deploy  | model deploy @/over-model.json --dir @/
            DEEP_NESTING | plan    | plan --scores @/over-scores.json --topology 0,1
            DEEP_NESTING | scores  | scores --profiles @/over-data.json
            DEEP_NESTING | import  | profiles import @/over-data.json --data-dir @/db
            HUGE_STRING  | show    | model show @/over-model.json
            HUGE_STRING  | deploy  | model deploy @/over-model.json --dir @/
            HUGE_STRING  | plan    | plan --scores @/over-scores.json --topology 0,1
            HUGE_STRING  | plan    | plan --profiles @/over-data.json --topology 0,1
            HUGE_STRING  | import  | profiles import @/over-data.json --data-dir @/db
            """)
    void filesPastTheParsersLimitsAreInvalidInput(OversizedJson kind, String command, String commandLine) throws Exception {
        boolean string = kind == OversizedJson.HUGE_STRING;
        Path model = file("over-model.json", kind.into(Files.readString(ModelFiles.newest(Path.of("trained_model"))
                .orElseThrow()), string ? "from" : "intercept"));
        Path scores = file("over-scores.json", kind.into("{\"workloads\":[{\"id\":\"a\"},{\"id\":\"b\"}],"
                + " \"matrix\":[[0,1],[1,0]], \"solo\":0.5}", string ? "id" : "solo"));
        Path data = file("over-data.json", kind.into(Files.readString(dataset()), string ? "name" : "single_ipc"));
        Path over = commandLine.contains("over-model") ? model : commandLine.contains("over-scores") ? scores : data;
        CliRun r = run(commandLine.trim().replace("@/", dir + "/").split("\\s+"));
        assertOneLineFailure(r, ExitCodes.BAD_INPUT, command, over + ": over the reader's limits: " + kind.reason + " (line ");
    }
}
