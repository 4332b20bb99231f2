// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.Profile;
import io.smtcheck.model.SyntheticDataset;
import io.smtcheck.profiles.EmbeddedMongo;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.SmallDisk;
import io.smtcheck.profiles.StoreContents;
import io.smtcheck.profiles.StoreSettings;
import io.smtcheck.profiles.StoreUnavailableException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The daemon's profile source on the real embedded server, through the driver: one cache, background I/O. */
class StoreProfileSourceTest {
    /** Short timeouts so that outages are noticed quickly; no periodic reload within a test. */
    private static final StoreSettings FAST = new StoreSettings(Duration.ofMillis(300), Duration.ofMillis(50),
            Duration.ofMillis(200), 2, Duration.ofMinutes(10));
    private static final Dataset DATA = SyntheticDataset.generate(SyntheticDataset.SEED);

    @TempDir
    Path dir;

    private EmbeddedMongo server;
    private StoreProfileSource source;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        if (source != null) {
            source.close();
        }
        if (server != null) {
            server.close();
        }
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    /** A store on {@link #server}, filled with the synthetic data, and the source on it. */
    private ProfileStore startFilled() throws IOException {
        server = EmbeddedMongo.start(dir.resolve("db"));
        ProfileStore store = ProfileStore.connect(server.connectionString(), FAST);
        store.importData(DATA);
        source = new StoreProfileSource(store);
        return store;
    }

    /** What the server holds, through a connection of its own. */
    private List<Integer> requested() {
        try (ProfileStore look = ProfileStore.connect(server.connectionString(), FAST)) {
            return StoreContents.requested(look);
        }
    }

    @Test
    void servesFromTheCacheWhileTheServerIsDownAndFilesQueuedRequestsWhenItReturns() throws Exception {
        ProfileStore store = startFilled();
        assertEquals(16, source.all().size());
        assertTrue(source.health().ok());

        server.close();
        // Down: cached profiles are still served, new lookups find nothing, requests are queued.
        assertEquals(16, source.all().size());
        assertEquals("dgemm", source.byJob(101).orElseThrow().name());
        assertTrue(source.byJob(12345).isEmpty());
        assertEquals(1, source.all().stream().filter(p -> p.matches("stream", "./stream")).count());
        source.requestProfile(77, "job-77");
        await("the outage noticed", () -> !source.health().ok());
        StoreUnavailableException e = assertThrows(StoreUnavailableException.class, store::samples);
        assertTrue(e.getMessage().startsWith("MongoDB at " + server.connectionString() + " is unreachable"), e.getMessage());

        // Back on the same socket with the same data: the queued request is filed, with no call to wake it.
        server = EmbeddedMongo.start(dir.resolve("db"));
        await("the queued request filed", () -> requested().equals(List.of(77)));
        assertTrue(source.health().ok());
        assertEquals(16, source.all().size());
    }

    @Test
    void observedSamplesReachTheStoreAndAnOutageIsOneLine() throws Exception {
        startFilled();
        List<ObservedSample> samples = List.of(new ObservedSample("m", 101, 102, 0.3, 0.1, 600,
                java.time.Instant.parse("2026-03-01T10:00:00Z")));
        source.storeObserved(samples);
        try (ProfileStore look = ProfileStore.connect(server.connectionString(), FAST)) {
            assertEquals(samples, look.observedSamples().items());
        }
        server.close();
        IOException e = assertThrows(IOException.class, () -> source.storeObserved(samples));
        assertTrue(e.getMessage().startsWith(server.connectionString() + ": MongoDB at ") && !e.getMessage().contains("\n"),
                e.getMessage());
    }

    @Test
    void theRequestQueueGoesOnAfterTheStoreFailsAndComesBack() throws Exception {
        startFilled();
        for (int round = 0; round < 2; round++) {
            server.close();
            int first = 1000 + 10 * round;
            for (int job = first; job < first + 3; job++) {
                source.requestProfile(job, "job-" + job);
            }
            await("the failure", () -> !source.health().ok());
            server = EmbeddedMongo.start(dir.resolve("db"));
            // Every request of the round reaches the store, without a further call from the daemon.
            await("round " + round + " filed", () -> requested().containsAll(List.of(first, first + 1, first + 2)));
        }
        // Each request is tried on its own, so one that met the server still starting may be filed
        // after the next: every request is filed once, in whatever order.
        assertEquals(List.of(1000, 1001, 1002, 1010, 1011, 1012), requested().stream().sorted().toList());
    }

    @Test
    void aProfileWrittenSinceTheLastReadIsFoundOnALaterLookupAndNotRequested() throws Exception {
        ProfileStore store = startFilled();
        Profile like = DATA.profiles().get(0);
        Profile late = new Profile(555, "late", null, 1, like.singleIpc(), like.l3CacheIpc(), like.resources());
        try (ProfileStore other = ProfileStore.connect(server.connectionString(), FAST)) {
            other.putProfile(late);
        }
        // As the daemon does for a new group: a miss, then a request; the next passes find the profile.
        if (source.byJob(555).isEmpty()) {
            source.requestProfile(555, "late");
        }
        await("the profile", () -> source.byJob(555).isPresent());
        assertEquals(late, source.byJob(555).orElseThrow());
        assertTrue(source.all().contains(late), "one cache: the list has it too");
        source.requestProfile(556, "never-profiled");
        await("the other request", () -> requested().contains(556));
        assertEquals(List.of(556), StoreContents.requested(store), "no request for a job that has a profile");
    }

    @Test
    void lookupsDoNotWaitForAServerThatDoesNotAnswer() throws Exception {
        // Accepts connections and never answers: every driver call waits for its timeout.
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        cleanup.add(silent);
        List<Socket> accepted = new ArrayList<>();
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    accepted.add(silent.accept());
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        StoreSettings slow = new StoreSettings(Duration.ofSeconds(3), Duration.ofMillis(50), Duration.ofMillis(200), 1,
                Duration.ofMinutes(10));
        source = new StoreProfileSource(ProfileStore.connect("mongodb://127.0.0.1:" + silent.getLocalPort(), slow));

        long started = System.nanoTime();
        for (int job = 1; job <= 20; job++) {
            assertTrue(source.byJob(job).isEmpty());
            source.requestProfile(job, "job-" + job);
            assertTrue(source.all().isEmpty());
        }
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMs < 1500, "20 lookups and requests took " + tookMs + " ms; one attempt waits 3000 ms");
        await("the background attempt to fail", () -> !source.health().ok());
    }

    @Test
    void requestsQueuedOnAFullDiskAreFiledWhenThereIsRoom() throws Exception {
        SmallDisk disk = SmallDisk.mount(dir.resolve("small"));
        cleanup.add(disk);
        Path small = disk.root();
        ListAppender<ILoggingEvent> filed = new ListAppender<>();
        filed.start();
        Logger sourceLog = (Logger) LoggerFactory.getLogger(StoreProfileSource.class);
        sourceLog.addAppender(filed);
        cleanup.add(() -> sourceLog.detachAppender(filed));
        Path db = small.resolve("db");
        ProfileStore store = ProfileStore.embedded(db, FAST);
        store.importData(DATA);
        source = new StoreProfileSource(store);
        Path filler = small.resolve("filler");
        SmallDisk.fill(filler);

        // Does not throw, and keeps the request to file later.
        source.requestProfile(4242, "job-4242");
        await("the failed write", () -> !source.health().ok());
        assertTrue(source.health().lastError().contains("No space left on device"), source.health().toString());
        assertFalse(filed.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith("profiling request for job 4242")),
                filed.list.toString());

        Files.delete(filler);
        await("the queued request filed once the store works again", () -> filed.list.stream()
                .anyMatch(e -> e.getFormattedMessage().equals("profiling request for job 4242 (job-4242): FILED")));
        // And it is in the file: it is there after a restart.
        source.close();
        source = null;
        try (ProfileStore reopened = ProfileStore.embedded(db, FAST)) {
            assertEquals(List.of(4242), StoreContents.requested(reopened));
        }
        assertFalse(Files.exists(filler));
    }
}
