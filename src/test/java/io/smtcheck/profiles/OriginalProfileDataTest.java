// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.model.Baseline;
import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ResourceProfile;
import io.smtcheck.model.ResourceType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The original SMTcheck's store, filled as its profiling server fills it, read through the driver
 * on the real embedded server. Expected values are worked out from the original's formulas
 * (docs/original-smtcheck.md); int_isq has 75 entries, watermark 6: pressure points 55 and 69.
 */
class OriginalProfileDataTest {
    private static final double EPS = 1e-12;
    static final MachineDescription MACHINE = MachineDescription.parse(io.smtcheck.model.JsonRead.document(
            OriginalStoreWriter.MACHINE_JSON.getBytes(java.nio.charset.StandardCharsets.UTF_8), "machine"));

    @TempDir
    Path dir;

    private EmbeddedMongo server;
    private OriginalStoreWriter writer;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = EmbeddedMongo.start(dir.resolve("db"));
        writer = new OriginalStoreWriter(server.connectionString());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        writer.close();
        server.close();
    }

    private ProfileStore store(String node, MachineDescription machine) {
        ProfileStore s = ProfileStore.connect(OriginalStoreWriter.uri(server.connectionString()), ProfileStoreTest.FAST,
                new OriginalProfileData.Options(node, machine));
        open.add(s);
        return s;
    }

    private static void assertProfile(ResourceProfile r, double sensitivity, double intensity, double usage, double base) {
        assertEquals(sensitivity, r.sensitivity(), EPS, "sensitivity");
        assertEquals(intensity, r.intensity(), EPS, "intensity");
        assertEquals(usage, r.usage(), EPS, "usage");
        assertEquals(base, r.baseSlowdown(), EPS, "base slowdown");
    }

    /** Job 0 as the original computes it: solo 1.25 (combination), injector solos 3.0, 2.0, 2.0. */
    static void assertJob0(Profile p) {
        assertEquals(0.9 / 1.2, p.scaleFactor(), EPS);
        assertProfile(p.resources().get("int_port"), 1 - 1.0 / 1.25, 1 - 2.1 / 3.0, 1 - 2.1 / 3.0, 1 - 1.0 / 1.25);
        // The line through (55, 0.9) and (69, 0.6) reaches the low IPC 1.0 at 55 - 0.1 * 14 / 0.3.
        assertProfile(p.resources().get("int_isq"), 1 - 0.6 / 1.0, 1 - 1.5 / 2.0, (75 - (55 - 0.1 * 14 / 0.3)) / 75,
                1 - 1.0 / 1.25);
        assertProfile(p.resources().get("l1_dcache"), 1 - 0.88 / 1.1, 1 - 1.6 / 2.0, (1.8 - 1.4) / (1.8 - 1.0),
                1 - 1.1 / 1.25);
    }

    /** Job 1: solo 2.1. */
    static void assertJob1(Profile p) {
        assertEquals(1.9 / 2.0, p.scaleFactor(), EPS);
        assertProfile(p.resources().get("int_port"), 1 - 1.5 / 2.1, 1 - 2.4 / 3.0, 1 - 2.4 / 3.0, 1 - 1.5 / 2.1);
        // (55, 1.7) and (69, 1.2) reach 1.8 at 55 - 0.1 * 14 / 0.5 = 52.2.
        assertProfile(p.resources().get("int_isq"), 1 - 1.2 / 1.8, 1 - 1.2 / 2.0, (75 - (55 - 0.1 * 14 / 0.5)) / 75,
                1 - 1.8 / 2.1);
        assertProfile(p.resources().get("l1_dcache"), 1 - 1.5 / 1.9, 1 - 1.0 / 2.0, (1.8 - 1.1) / (1.8 - 1.0),
                1 - 1.9 / 2.1);
    }

    @Test
    void readsProfilesBaselinesAndSamplesAsTheOriginalComputesThem() throws Exception {
        writer.all();
        ProfileStore s = store(null, MACHINE);
        assertTrue(s.isOriginal());
        ProfileStore.Loaded<Profile> loaded = s.readAllProfiles();
        assertEquals(List.of(), loaded.skipped());
        assertEquals(List.of(0, 1), loaded.items().stream().map(Profile::jobId).toList());
        assertJob0(loaded.items().get(0));
        assertJob1(loaded.items().get(1));

        List<Baseline> baselines = s.baselines().items();
        assertEquals(Map.of("int_port", ResourceType.PARALLEL, "int_isq", ResourceType.SEQUENTIAL, "l1_dcache",
                ResourceType.PARALLEL), baselines.stream().collect(java.util.stream.Collectors.toMap(Baseline::resource,
                        Baseline::type)));

        List<CoRunSample> samples = s.samples().items();
        assertEquals(3, samples.size(), samples.toString());
        assertTrue(samples.contains(new CoRunSample(0, 1, 1 - 0.9 / 1.25, 1 - 1.6 / 2.1)), samples.toString());
        assertTrue(samples.contains(new CoRunSample(0, 0, 1 - 0.8 / 1.25, 1 - 0.8 / 1.25)), samples.toString());
        assertTrue(samples.contains(new CoRunSample(1, 1, 1 - 1.7 / 2.1, 1 - 1.7 / 2.1)), samples.toString());

        // Export gives the native form, which a store of smtcheck's own takes as it is.
        Dataset exported = s.exportData().data();
        try (ProfileStore ours = ProfileStore.embedded(dir.resolve("ours"), ProfileStoreTest.FAST)) {
            ProfileStore.ImportResult r = ours.importData(exported);
            assertEquals(2, r.profiles());
            assertJob0(ours.readAllProfiles().items().get(0));
            assertEquals(3, ours.samples().items().size());
        }
    }

    @Test
    void aJobIsReadOnceItsProfilingFinishedAndNotBefore() {
        writer.baselines();
        writer.combination();
        writer.job0();
        ProfileStore s = store(null, MACHINE);
        ProfileReader reader = s.profileReader(MongoGateway.Patience.ONCE);
        assertTrue(reader.find(1).isEmpty(), "no measurements: unknown");

        writer.job1(false);
        ProfileStore.Loaded<Profile> during = reader.readAll();
        assertEquals(List.of(0), during.items().stream().map(Profile::jobId).toList());
        assertEquals(List.of("measurement global_jobid 1: profiling not finished (no timestamp document)"),
                during.skipped().stream().map(Object::toString).toList());
        assertTrue(reader.find(1).isEmpty());

        writer.sendDone(1);
        assertJob1(reader.find(1).orElseThrow());
        assertEquals(List.of(0, 1), reader.readAll().items().stream().map(Profile::jobId).toList());
    }

    @Test
    void theNodeIsTheOnlyOneThereOrTheOneNamed() {
        writer.all();
        writer.sendData("other-node", "single", 5, 0, "workload", 1.0);
        OriginalProfileData.NodeException several = assertThrows(OriginalProfileData.NodeException.class,
                () -> store(null, MACHINE).readAllProfiles());
        assertTrue(several.getMessage().contains("several nodes (intel-gen11, other-node): choose one with --node"),
                several.getMessage());
        OriginalProfileData.NodeException unknown = assertThrows(OriginalProfileData.NodeException.class,
                () -> store("nowhere", MACHINE).readAllProfiles());
        assertTrue(unknown.getMessage().startsWith("node 'nowhere' has no documents in profile_data")
                && unknown.getMessage().endsWith("(nodes there: intel-gen11, other-node)"), unknown.getMessage());
        assertEquals(2, store(OriginalStoreWriter.NODE, MACHINE).readAllProfiles().items().size());
    }

    @Test
    void badDocumentsAreSkippedNamingTheJobAndTheFeatureAndTheRestIsRead() {
        writer.all();
        // Job 2: IPC missing in one document, NaN in another, a string in a third; job 3: a zero solo IPC.
        writer.sendData("single", 2, 0, "workload", 1.0);
        writer.sendData("l3_cache", 2, 0, "workload", 0.9);
        writer.sendData("int_port", 2, 0, "workload", Double.NaN);
        writer.sendData("int_port", 2, 0, "injector", 2.0);
        writer.sendData("l1_dcache", 2, 0, "workload", "fast");
        writer.db().getCollection("measurement").updateOne(new Document("global_jobid", 2).append("feature", "int_port")
                .append("run_type", "injector"), new Document("$unset", new Document("IPC", "")));
        writer.sendDone(2);
        writer.sendData("single", 3, 0, "workload", 0.0);
        writer.sendData("l3_cache", 3, 0, "workload", 0.9);
        writer.sendData("int_port", 3, 0, "workload", 1.0);
        writer.sendData("int_port", 3, 0, "injector", 2.0);
        writer.sendDone(3);

        ProfileStore.Loaded<Profile> loaded = store(null, MACHINE).readAllProfiles();
        assertEquals(List.of(0, 1), loaded.items().stream().map(Profile::jobId).toList());
        List<String> why = loaded.skipped().stream().map(Object::toString).toList();
        assertTrue(why.stream().anyMatch(w -> w.startsWith("measurement global_jobid 2, feature int_port, pressure 0,"
                + " run_type workload") && w.endsWith("NaN is not a finite number")), why.toString());
        assertTrue(why.stream().anyMatch(w -> w.contains("feature l1_dcache") && w.endsWith(
                "IPC: expected a number, found the string \"fast\"")), why.toString());
        assertTrue(why.stream().anyMatch(w -> w.contains("feature int_port, pressure 0, run_type injector")
                && w.endsWith("IPC: missing")), why.toString());
        assertTrue(why.contains("measurement global_jobid 2: no resource could be characterised"), why.toString());
        assertTrue(why.contains("measurement global_jobid 3: single: the solo IPC is 0.0, not > 0"), why.toString());
    }

    @Test
    void withoutAMachineDescriptionSequentialResourcesAreLeftOutSayingWhy() {
        writer.all();
        ProfileStore.Loaded<Profile> loaded = store(null, null).readAllProfiles();
        assertEquals(Set.of("int_port", "l1_dcache"), loaded.items().get(0).resources().keySet());
        assertTrue(loaded.skipped().stream().map(Object::toString).anyMatch(w -> w.equals("measurement global_jobid 0:"
                + " int_isq: a sequential resource, whose size and watermark come from the machine description"
                + " (--machine-description), which is not given")), loaded.skipped().toString());
    }

    @Test
    void isReadOnlyAndGetsNoCollectionsOfOurs() {
        writer.all();
        ProfileStore s = store(null, MACHINE);
        StoreReadOnlyException e = assertThrows(StoreReadOnlyException.class,
                () -> s.importData(new Dataset(List.of(), List.of(), List.of())));
        assertTrue(e.getMessage().startsWith("the original SMTcheck's store at "), e.getMessage());
        assertThrows(StoreReadOnlyException.class, () -> s.measurements("x"));
        StoreReadOnlyException observed = assertThrows(StoreReadOnlyException.class, () -> s.addObservedSamples(
                List.of(new io.smtcheck.model.ObservedSample("m", 1, 2, 0.1, 0.2, 10, java.time.Instant.EPOCH))));
        assertTrue(observed.getMessage().contains("record observed co-run slowdowns"), observed.getMessage());
        assertTrue(s.observedSamples().items().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> s.profilingRequests(MongoGateway.Patience.ONCE).file(4));
        s.readAllProfiles();
        Set<String> collections = new java.util.TreeSet<>();
        writer.db().listCollectionNames().forEach(collections::add);
        assertEquals(Set.of("combination", "measurement", "timestamp"), collections);
    }
}
