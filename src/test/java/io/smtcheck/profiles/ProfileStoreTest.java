// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static java.util.stream.Collectors.toSet;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.Profile;
import io.smtcheck.model.SyntheticDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store through the real driver, over the unix socket, against the embedded server. */
class ProfileStoreTest {
    /** Short timeouts so that outages are noticed quickly. */
    static final StoreSettings FAST = new StoreSettings(Duration.ofMillis(300), Duration.ofMillis(50),
            Duration.ofMillis(200), 2, Duration.ofMinutes(10));

    @TempDir
    Path dir;

    private EmbeddedMongo server;
    private ProfileStore store;

    @AfterEach
    void tearDown() {
        if (store != null) {
            store.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static final Dataset DATA = SyntheticDataset.generate(SyntheticDataset.SEED);

    /** A raw connection to the same server, to look behind the store's back. */
    private static MongoDatabase raw(MongoClient client) {
        return client.getDatabase(ProfileStore.DEFAULT_DATABASE);
    }

    @Test
    void roundTripThroughTheDriver() throws IOException {
        store = ProfileStore.embedded(dir.resolve("db"), FAST);
        ProfileStore.ImportResult r = store.importData(DATA);
        assertEquals(5, r.baselines());
        assertEquals(16, r.profiles());
        assertEquals(DATA.samples().size(), r.samplesAdded());
        assertTrue(r.conflicts().isEmpty());

        ProfileStore.Export export = store.exportData();
        assertTrue(export.skipped().isEmpty());
        assertEquals(DATA.profiles(), export.data().profiles());
        assertEquals(DATA.baselines(), export.data().baselines());
        assertEquals(Set.copyOf(DATA.samples()), Set.copyOf(export.data().samples()));
        assertEquals(DATA.profiles().get(0), profiles(store).find(101).orElseThrow());
        assertTrue(profiles(store).find(5).isEmpty());

        // Importing again changes nothing: same counts, no duplicate samples.
        ProfileStore.ImportResult again = store.importData(DATA);
        assertEquals(0, again.samplesAdded());
        assertEquals(DATA.samples().size(), again.samplesAlreadyThere());
        assertEquals(DATA.samples().size(), store.samples().items().size());
    }

    @Test
    void observedSamplesRoundTripAndAreWrittenOnce() throws IOException {
        store = ProfileStore.embedded(dir.resolve("db"), FAST);
        java.time.Instant at = java.time.Instant.parse("2026-03-01T10:00:00Z");
        List<ObservedSample> samples = List.of(new ObservedSample("m1", 101, 102, 0.25, 0.125, 600, at),
                new ObservedSample("m1", 101, 101, 0.5, 0.5, 30.5, at.plusSeconds(1)));
        assertEquals(2, store.addObservedSamples(samples));
        assertEquals(0, store.addObservedSamples(samples)); // a retry adds nothing
        assertEquals(Set.copyOf(samples), Set.copyOf(store.observedSamples().items()));
        // A document that does not validate is skipped, naming its field.
        try (MongoClient client = MongoClients.create(store.connectionString())) {
            raw(client).getCollection("observed_samples").insertOne(new Document("machine", "m1")
                    .append("job_a", 1).append("job_b", 2).append("slowdown_a", 3.0).append("slowdown_b", 0.1)
                    .append("seconds", 5.0).append("at", at.toString()));
        }
        ProfileStore.Loaded<ObservedSample> loaded = store.observedSamples();
        assertEquals(2, loaded.items().size());
        assertEquals(1, loaded.skipped().size());
        assertEquals("slowdown_a: 3.0 is not in [-1, 1]", loaded.skipped().get(0).reason());
        assertTrue(loaded.skipped().get(0).id().startsWith("machine m1, _id "), loaded.skipped().get(0).id());
    }

    @Test
    void aBatchOfObservedSamplesIsWrittenInOneRequestKeyedAsOne() throws IOException {
        store = ProfileStore.embedded(dir.resolve("db"), FAST);
        java.time.Instant at = java.time.Instant.parse("2026-03-08T10:00:00Z");
        List<ObservedSample> batch = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            batch.add(new ObservedSample("m1", 101, 102 + i % 3, 0.001 * i, 0.25, 60, at.plusMillis(10L * i)));
        }
        assertEquals(300, store.addObservedSamples(batch.subList(0, 300)));
        // Overlapping the first: only the 200 new ones count, and the 100 again keep one document each.
        assertEquals(200, store.addObservedSamples(batch.subList(200, 500)));
        assertEquals(Set.copyOf(batch), Set.copyOf(store.observedSamples().items()));
        assertEquals(500, store.observedSamples().items().size());
    }

    @Test
    void oldObservedSamplesArePrunedByTheSecondPerMachineOrCountedInADryRun() throws IOException {
        store = ProfileStore.embedded(dir.resolve("db"), FAST);
        java.time.Instant cut = java.time.Instant.parse("2026-03-01T10:00:05Z");
        // Around the cut's second, where the text's order is not the instants' ("…04.5Z" sorts before "…04Z").
        ObservedSample longAgo = new ObservedSample("m1", 101, 102, 0.1, 0.1, 60, cut.minus(Duration.ofDays(30)));
        ObservedSample secondBefore = new ObservedSample("m1", 101, 102, 0.1, 0.1, 60, cut.minusSeconds(1));
        ObservedSample justBefore = new ObservedSample("m1", 101, 102, 0.1, 0.1, 60, cut.minusMillis(1));
        ObservedSample atCut = new ObservedSample("m1", 101, 102, 0.1, 0.1, 60, cut);
        ObservedSample justAfter = new ObservedSample("m1", 101, 102, 0.1, 0.1, 60, cut.plusMillis(500));
        ObservedSample later = new ObservedSample("m1", 101, 102, 0.1, 0.1, 60, cut.plus(Duration.ofDays(6)));
        ObservedSample otherOld = new ObservedSample("m2", 101, 102, 0.1, 0.1, 60, cut.minus(Duration.ofDays(8)));
        store.addObservedSamples(List.of(longAgo, secondBefore, justBefore, atCut, justAfter, later, otherOld));

        assertEquals(3, store.pruneObservedSamples(cut, "m1", true));
        assertEquals(4, store.pruneObservedSamples(cut, null, true));
        assertEquals(7, store.observedSamples().items().size(), "a dry run removes nothing");
        assertEquals(3, store.pruneObservedSamples(cut, "m1", false));
        assertEquals(Set.of(atCut, justAfter, later, otherOld), Set.copyOf(store.observedSamples().items()));
        assertEquals(1, store.pruneObservedSamples(cut, null, false));
        assertEquals(0, store.pruneObservedSamples(cut, null, false));
        assertEquals(Set.of(atCut, justAfter, later), Set.copyOf(store.observedSamples().items()));
    }

    @Test
    void aStartingDaemonReadsOneMachinesNewestSamplesWithinItsWindow() throws IOException {
        store = ProfileStore.embedded(dir.resolve("db"), FAST);
        java.time.Instant start = java.time.Instant.parse("2026-03-08T10:00:00.250Z");
        java.time.Instant from = start.minus(Duration.ofDays(7));
        List<ObservedSample> samples = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) { // one a minute, the newest 1 s before the start
            samples.add(new ObservedSample("m1", 101, 102, 0.1 * i, 0.05, 60, start.minusSeconds(1 + 60L * i)));
        }
        ObservedSample tooOld = new ObservedSample("m1", 101, 102, 0.3, 0.3, 60, from.minusMillis(1));
        ObservedSample oldest = new ObservedSample("m1", 101, 102, 0.2, 0.2, 60, from);
        // Within the start's second, on either side of it: the text's order is not the instants' there.
        ObservedSample sameSecondBefore = new ObservedSample("m1", 101, 103, 0.4, 0.4, 60, start.minusMillis(250));
        ObservedSample sameSecondAfter = new ObservedSample("m1", 101, 103, 0.4, 0.4, 60, start.plusMillis(1));
        ObservedSample atStart = new ObservedSample("m1", 101, 103, 0.4, 0.4, 60, start);
        ObservedSample elsewhere = new ObservedSample("m2", 101, 102, 0.9, 0.9, 60, start.minusSeconds(2));
        List<ObservedSample> all = new java.util.ArrayList<>(samples);
        all.addAll(List.of(tooOld, oldest, sameSecondBefore, sameSecondAfter, atStart, elsewhere));
        assertEquals(all.size(), store.addObservedSamples(all));

        ProfileStore.Loaded<ObservedSample> read = store.recentObservedSamples("m1", from, start, 100);
        List<ObservedSample> expected = new java.util.ArrayList<>(List.of(sameSecondBefore));
        expected.addAll(samples);
        expected.add(oldest);
        assertEquals(expected, read.items());
        assertTrue(read.skipped().isEmpty());
        // Bounded: the newest three.
        assertEquals(expected.subList(0, 3), store.recentObservedSamples("m1", from, start, 3).items());
        assertThrows(IllegalArgumentException.class, () -> store.recentObservedSamples("m1", from, start, 0));

        // A bad document of the machine is skipped and named by its field; one of another machine is not read.
        try (MongoClient client = MongoClients.create(store.connectionString())) {
            raw(client).getCollection("observed_samples").insertMany(List.of(
                    new Document("machine", "m1").append("job_a", 101).append("job_b", 104).append("slowdown_a", 0.1)
                            .append("slowdown_b", "fast").append("seconds", 5.0).append("at", start.minusSeconds(3).toString()),
                    new Document("machine", "m2").append("job_a", 101).append("job_b", 104).append("slowdown_a", 7.0)
                            .append("slowdown_b", 0.1).append("seconds", 5.0).append("at", start.minusSeconds(3).toString())));
        }
        ProfileStore.Loaded<ObservedSample> again = store.recentObservedSamples("m1", from, start, 100);
        assertEquals(expected, again.items());
        assertEquals(1, again.skipped().size(), again.skipped().toString());
        assertTrue(again.skipped().get(0).reason().startsWith("slowdown_b: "), again.skipped().get(0).reason());
        assertTrue(again.skipped().get(0).id().startsWith("machine m1, _id "), again.skipped().get(0).id());
    }

    @Test
    void aStoreInADirectoryWithCapitalsIsReachedBothFromItsOwnProcessAndByAnother() throws IOException {
        // The driver lower-cases a socket's path: /tmp/x/Profiles/store.sock would be looked for as
        // /tmp/x/profiles/store.sock, which does not exist.
        Path db = dir.resolve("Profiles");
        store = ProfileStore.embedded(db, FAST);
        assertEquals(16, store.importData(DATA).profiles());
        assertEquals(DATA.profiles().get(0), profiles(store).find(101).orElseThrow());
        PublishedServer published = PublishedServer.read(db).orElseThrow();
        try (ProfileStore other = ProfileStore.connect(published, db);
                ProfileStore byUri = ProfileStore.connect(published.uri(), FAST)) {
            assertEquals(DATA.profiles(), other.readAllProfiles().items());
            assertEquals(DATA.profiles().get(1), profiles(byUri).find(DATA.profiles().get(1).jobId()).orElseThrow());
        }
    }

    @Test
    void indexesAreUnique() throws IOException {
        store = ProfileStore.embedded(dir.resolve("db"), FAST);
        store.importData(DATA);
        Profile dgemm = DATA.profiles().get(0);
        try (MongoClient client = MongoClients.create(connectionOf(store))) {
            Document copy = raw(client).getCollection("profiles").find(new Document("job_id", 101)).first();
            copy.remove("_id");
            MongoWriteException e = assertThrows(MongoWriteException.class,
                    () -> raw(client).getCollection("profiles").insertOne(copy));
            assertEquals(ErrorCategory.DUPLICATE_KEY, e.getError().getCategory());
            Document baseline = new Document("resource", "mem_bw").append("type", "sequential");
            assertThrows(MongoWriteException.class, () -> raw(client).getCollection("injector_baselines").insertOne(baseline));
        }
        // A profile under a new job id but a taken name is refused, the rest imported.
        Profile clash = new Profile(999, dgemm.name(), null, 1, 1, 1, dgemm.resources());
        ProfileStore.ImportResult r = store.importData(new Dataset(List.of(), List.of(clash, DATA.profiles().get(1)), List.of()));
        assertEquals(1, r.profiles());
        assertEquals(List.of("profile 'dgemm' (job 999): the name is already job 101's"), r.conflicts());
    }

    @Test
    void profilingRequestsAreIdempotent() throws IOException {
        store = ProfileStore.embedded(dir.resolve("db"), FAST);
        RequestCollection filing = requests(store);
        assertEquals(RequestCollection.Outcome.FILED, filing.file(42));
        assertEquals(RequestCollection.Outcome.ALREADY_FILED, filing.file(42));
        assertEquals(RequestCollection.Outcome.FILED, filing.file(43));
        List<StoreContents.Request> requests = StoreContents.requests(store);
        assertEquals(2, requests.size());
        assertEquals(42, requests.get(0).jobId());
        assertEquals("pending", requests.get(0).status());
        assertEquals(2, requests.get(0).requests());
        // A profile for the job answers the request: it is done, and no longer pending.
        Profile p = DATA.profiles().get(0);
        store.putProfile(new Profile(42, "job-42", null, 1, p.singleIpc(), p.l3CacheIpc(), p.resources()));
        assertEquals(List.of(43), StoreContents.pending(store));
        assertEquals("done", StoreContents.requests(store).get(0).status());
        assertEquals("job-42", profiles(store).find(42).orElseThrow().name());
        // Asked again (say the profile was deleted since), the request is pending again.
        assertEquals(RequestCollection.Outcome.FILED, filing.file(42));
        assertEquals(List.of(42, 43), StoreContents.pending(store));
    }

    @Test
    void invalidDocumentsAreSkippedAndReported() throws IOException {
        store = ProfileStore.embedded(dir.resolve("db"), FAST);
        store.importData(DATA);
        try (MongoClient client = MongoClients.create(connectionOf(store))) {
            var profiles = raw(client).getCollection("profiles");
            Document nan = profiles.find(new Document("job_id", 102)).first();
            nan.remove("_id");
            nan.put("job_id", 500);
            nan.put("name", "nan-ipc");
            nan.put("single_ipc", Double.NaN);
            profiles.insertOne(nan);
            profiles.insertOne(new Document("job_id", 501).append("name", "partial"));
            profiles.insertOne(new Document("name", "no-job"));
            raw(client).getCollection("corun_samples").insertOne(new Document("job_a", 1).append("job_b", "x"));
        }
        ProfileStore.Loaded<Profile> loaded = store.readAllProfiles();
        List<Profile> valid = loaded.items();
        assertEquals(16, valid.size());
        List<ProfileStore.Skipped> skipped = loaded.skipped();
        assertEquals(3, skipped.size(), skipped.toString());
        assertTrue(skipped.get(0).toString().startsWith("profiles job_id 500, _id "), skipped.get(0).toString());
        assertTrue(skipped.stream().anyMatch(s -> s.reason().equals("single_ipc: NaN is not a finite number")), skipped.toString());
        assertTrue(skipped.stream().anyMatch(s -> s.reason().equals("single_ipc: missing")), skipped.toString());
        assertTrue(skipped.stream().anyMatch(s -> s.reason().equals("job_id: missing")), skipped.toString());
        assertTrue(profiles(store).find(500).isEmpty(), "an invalid profile is no profile");
        ProfileStore.Loaded<io.smtcheck.model.CoRunSample> samples = store.samples();
        assertEquals(DATA.samples().size(), samples.items().size());
        assertEquals("job_b: expected an integer, found the string \"x\"", samples.skipped().get(0).reason());
    }

    @Test
    void dataSurvivesARestartOfTheEmbeddedServer() throws IOException {
        Path db = dir.resolve("db");
        store = ProfileStore.embedded(db, FAST);
        store.importData(DATA);
        requests(store).file(7);
        store.close();
        store.close(); // idempotent
        store = ProfileStore.embedded(db, FAST);
        assertEquals(DATA.profiles(), store.readAllProfiles().items());
        assertEquals(1, StoreContents.requests(store).size());
        assertEquals(RequestCollection.Outcome.ALREADY_FILED, requests(store).file(7));
    }

    @Test
    void aDataDirectoryServesOneProcessAtATime() throws IOException {
        Path db = dir.resolve("db");
        store = ProfileStore.embedded(db, FAST);
        IOException e = assertThrows(IOException.class, () -> ProfileStore.embedded(db, FAST));
        assertTrue(e.getMessage().contains("in use by another process"), e.getMessage());
    }

    @Test
    void publishesItsAddressWhileOpen() throws IOException {
        Path db = dir.resolve("db");
        store = ProfileStore.embedded(db, FAST);
        Path file = PublishedServer.file(db);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        PublishedServer published = PublishedServer.read(db).orElseThrow();
        assertEquals(store.connectionString(), published.uri());
        assertEquals(ProcessHandle.current().pid(), published.pid());
        assertTrue(published.alive());
        assertTrue(published.answers());
        try (var files = Files.list(db)) {
            assertEquals(Set.of("profiles.mv", "server.json", "store.sock"), files.map(f -> f.getFileName().toString()).collect(toSet()));
        }
        store.close();
        assertFalse(Files.exists(file));
        assertTrue(PublishedServer.read(db).isEmpty());
    }

    @Test
    void writesOfOtherClientsReachTheFileWhileTheServerRuns() throws Exception {
        Path db = dir.resolve("db");
        store = ProfileStore.embedded(db, FAST);
        Profile dgemm = DATA.profiles().get(0);
        try (ProfileStore other = ProfileStore.connect(PublishedServer.read(db).orElseThrow(), db)) {
            // One small write: a large one could fill H2's write buffer and be stored for that reason.
            other.putProfile(dgemm);
            assertTrue(other.where().startsWith("the embedded server of process " + ProcessHandle.current().pid()
                    + " (" + store.connectionString() + ", data in " + db + ")"), other.where());
        }
        // A copy of the open file is what a crash would leave: H2 commits in the background.
        Path copy = dir.resolve("copy");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<Profile> found;
        do {
            Thread.sleep(200);
            Files.createDirectories(copy);
            Files.copy(db.resolve(EmbeddedMongo.FILE_NAME), copy.resolve(EmbeddedMongo.FILE_NAME),
                    StandardCopyOption.REPLACE_EXISTING);
            try (ProfileStore crashed = ProfileStore.embedded(copy, FAST)) {
                found = crashed.readAllProfiles().items();
            }
        } while (found.isEmpty() && System.nanoTime() < deadline);
        assertEquals(List.of(dgemm), found);
    }

    @Test
    void backsOffWhenTheServerStopsAndRecoversWhenItReturns() throws Exception {
        Path db = dir.resolve("db");
        server = EmbeddedMongo.start(db);
        store = ProfileStore.connect(server.connectionString(), FAST);
        store.importData(DATA);
        ProfileCollection once = new ProfileCollection(store.gateway(), MongoGateway.Patience.ONCE);
        assertEquals(16, once.readAll().items().size());
        assertTrue(store.health().ok());

        server.close();
        // Down: the daemon's kind of call fails at once, and then not even tries while the circuit is open.
        StoreUnavailableException down = assertThrows(StoreUnavailableException.class, () -> once.find(101));
        assertTrue(down.getMessage().startsWith("MongoDB at " + server.connectionString() + " is unreachable"),
                down.getMessage());
        assertFalse(store.health().ok());
        assertTrue(store.gateway().untilNextAttempt().compareTo(Duration.ZERO) > 0);
        // A command's call retries, then fails with one line.
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, store::samples);
        assertTrue(e.getMessage().startsWith("MongoDB at " + server.connectionString() + " is unreachable"), e.getMessage());

        // Back on the same socket with the same data: the next attempt after the pause works.
        server = EmbeddedMongo.start(db);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Integer found = null;
        while (found == null && System.nanoTime() < deadline) {
            try {
                found = once.readAll().items().size();
            } catch (StoreUnavailableException again) {
                Thread.sleep(100);
            }
        }
        assertEquals(16, found);
        assertTrue(store.health().ok());
        assertEquals(Duration.ZERO, store.gateway().untilNextAttempt());
    }

    @Test
    void matchingUsesCommAndCmdline() throws IOException {
        store = ProfileStore.embedded(dir.resolve("db"), FAST);
        store.importData(DATA);
        List<Profile> all = store.readAllProfiles().items();
        assertEquals(List.of("ml-train"), names(matching(all, "python3", "python3 /srv/train.py --epochs 9")));
        assertEquals(List.of(), names(matching(all, "python3", "python3 /srv/eval.py")));
        assertEquals(List.of("db-scan"), names(matching(all, "postgres", "postgres: app db 10.0.0.1 SELECT")));
        assertEquals(List.of(), names(matching(all, "postgres", "postgres: checkpointer")));
        assertEquals(List.of("dgemm"), names(matching(all, "dgemm", "")));
    }

    @Test
    void badUriIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ProfileStore.connect("http://user:secret@host"));
        assertTrue(e.getMessage().startsWith("invalid MongoDB URI 'http://user:***@host'"), e.getMessage());
        assertEquals("mongodb://user:***@host/db", ProfileStore.redact("mongodb://user:secret@host/db"));
    }

    private static List<Profile> matching(List<Profile> all, String comm, String cmdline) {
        return all.stream().filter(p -> p.matches(comm, cmdline)).toList();
    }

    /** The profiles collection as the daemon reads it, with the commands' retries. */
    private static ProfileCollection profiles(ProfileStore store) {
        return new ProfileCollection(store.gateway(), MongoGateway.Patience.RETRY);
    }

    private static RequestCollection requests(ProfileStore store) {
        return new RequestCollection(store.gateway(), MongoGateway.Patience.RETRY);
    }

    private static List<String> names(List<Profile> profiles) {
        return profiles.stream().map(Profile::name).toList();
    }

    private static String connectionOf(ProfileStore store) {
        return store.connectionString();
    }
}
