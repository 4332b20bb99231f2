// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.smtcheck.model.Profile;
import io.smtcheck.profiles.EmbeddedMongo;
import io.smtcheck.profiles.FakeProfilingServer;
import io.smtcheck.profiles.MachineDescription;
import io.smtcheck.profiles.OriginalProfileData;
import io.smtcheck.profiles.OriginalStoreWriter;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.StoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The daemon's profile source on the original SMTcheck's store, live: one cache and one refresh
 * rule for it as for smtcheck's own; profiling requests to its profiling server.
 */
class OriginalStoreProfileSourceTest {
    @TempDir
    Path dir;

    private EmbeddedMongo server;
    private OriginalStoreWriter writer;
    private StoreProfileSource source;
    private FakeProfilingServer profilingServer;

    @BeforeEach
    void start() throws Exception {
        server = EmbeddedMongo.start(dir.resolve("db"));
        writer = new OriginalStoreWriter(server.connectionString());
        writer.baselines();
        writer.combination();
        writer.job0();
    }

    @AfterEach
    void stop() throws Exception {
        if (source != null) {
            source.close();
        }
        if (profilingServer != null) {
            profilingServer.close();
        }
        writer.close();
        server.close();
    }

    private ProfileStore store(Duration refresh) throws Exception {
        StoreSettings settings = new StoreSettings(Duration.ofMillis(300), Duration.ofMillis(50), Duration.ofMillis(200),
                2, refresh);
        Path machine = Files.writeString(dir.resolve("machine.json"), OriginalStoreWriter.MACHINE_JSON);
        return ProfileStore.connect(OriginalStoreWriter.uri(server.connectionString()), settings,
                new OriginalProfileData.Options(null, MachineDescription.read(machine)));
    }

    @Test
    void aJobProfiledLaterAppearsWithoutARestart() throws Exception {
        source = new StoreProfileSource(store(Duration.ofMillis(200)));
        assertEquals(List.of(0), source.all().stream().map(Profile::jobId).toList());
        assertTrue(source.byJob(1).isEmpty(), "not profiled: unknown");

        writer.job1(true);
        await("job 1's profile", () -> source.byJob(1).isPresent());
        Profile p = source.byJob(1).orElseThrow();
        assertEquals(2.0, p.singleIpc());
        assertEquals(1 - 1.2 / 1.8, p.resources().get("int_isq").sensitivity(), 1e-12);
    }

    @Test
    void aStartingDaemonFindsNoObservedSlowdownsToLoadAndSaysWhyInOneInfoLine() throws Exception {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger sourceLog = (Logger) LoggerFactory.getLogger(StoreProfileSource.class);
        sourceLog.addAppender(log);
        try {
            source = new StoreProfileSource(store(Duration.ofMinutes(10)));
            assertTrue(source.observedHistory("m", Instant.now().minusSeconds(60), Instant.now(), 10).isEmpty());
            List<ILoggingEvent> said = log.list.stream()
                    .filter(e -> e.getFormattedMessage().startsWith("observed slowdowns")).toList();
            assertEquals(1, said.size(), log.list.toString());
            assertEquals(Level.INFO, said.get(0).getLevel());
            assertTrue(said.get(0).getFormattedMessage().startsWith("observed slowdowns: none to load, the original"
                    + " SMTcheck's store at "), said.get(0).getFormattedMessage());
        } finally {
            sourceLog.detachAppender(log);
        }
    }

    @Test
    void severalNodesWithoutNodeLeaveTheDaemonWithoutProfilesAndRunning() throws Exception {
        writer.sendData("other-node", "single", 5, 0, "workload", 1.0);
        source = new StoreProfileSource(store(Duration.ofMillis(100)));
        Thread.sleep(300); // a few refreshes, each failing on the node
        assertEquals(List.of(), source.all());
        assertTrue(source.byJob(0).isEmpty());
        // MongoDB answers, but the daemon cannot read it as asked: status says the store fails, and why.
        assertFalse(source.health().ok());
        assertTrue(source.health().lastError().contains("other-node"), source.health().summary());
        source.requestProfile(0, "job-0"); // kept, not lost, while the store cannot be read
    }

    @Test
    void profilingRequestsGoToTheProfilingServerAndTheProfileIsPickedUpWhenItIsDone() throws Exception {
        int port = FakeProfilingServer.freePort();
        // No periodic reload within the test: the server's reply is what makes the source read again.
        source = new StoreProfileSource(store(Duration.ofMinutes(10)), new io.smtcheck.profiles.ProfilingServerClient
                .Address("127.0.0.1", port));
        assertTrue(source.byJob(1).isEmpty());
        source.requestProfile(1, "job-1");
        source.requestProfile(1, "job-1");
        Thread.sleep(300); // the profiling server is down: asked again with backoff

        profilingServer = new FakeProfilingServer(port);
        FakeProfilingServer.Request r = profilingServer.next(30);
        assertNotNull(r, "the request reached the profiling server once it was up");
        assertEquals("1", r.jobId);
        writer.job1(true); // what the profiling server writes before it replies
        r.complete();
        await("job 1's profile", () -> source.byJob(1).isPresent());
        assertEquals(1.9 / 2.0, source.byJob(1).orElseThrow().scaleFactor(), 1e-12);
        assertEquals(List.of("1"), profilingServer.received(), "asked once");
    }
}
