// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.testModels;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.Profile;
import io.smtcheck.profiles.BundledData;
import io.smtcheck.profiles.EmbeddedMongo;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.StoreContents;
import io.smtcheck.profiles.StoreSettings;
import io.smtcheck.profiling.MachineIdentity;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A restarted daemon takes up what earlier ones observed on this machine, from the real embedded
 * store: the same observed slowdowns before it observes anything, none of another machine, invalid
 * documents skipped and counted, nothing written back or counted twice, and a store that is down
 * at start only delays them.
 */
@Timeout(180)
class DaemonObservedHistoryTest {
    private static final StoreSettings FAST = new StoreSettings(Duration.ofMillis(300), Duration.ofMillis(50),
            Duration.ofMillis(200), 2, Duration.ofMinutes(10));
    private static final Topology TOPOLOGY = Topology.parse("0,1");
    private static final String MACHINE = MachineIdentity.of(TOPOLOGY).id();

    @TempDir
    Path dir;

    private EmbeddedMongo server;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger learningLog = (Logger) LoggerFactory.getLogger(Learning.class);

    @AfterEach
    void tearDown() {
        learningLog.detachAppender(log);
        if (server != null) {
            server.close();
        }
    }

    /** A daemon on the store, whose two groups' counts the test makes up (or leaves out, with no speed). */
    private final class Run implements AutoCloseable {
        final Map<Integer, Double> speed = new ConcurrentHashMap<>();
        final Map<Integer, Double> ipcAlone = new ConcurrentHashMap<>();
        final StoreProfileSource profiles;
        final Daemon daemon;
        final Thread loop;
        private final long start = System.nanoTime();

        Run() {
            profiles = new StoreProfileSource(ProfileStore.connect(server.connectionString(), FAST));
            DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
            // Cycles at 1 GHz; instructions at the profile's IPC alone times the side's speed beside the other.
            monitor.counted = pgid -> {
                Double s = speed.get(pgid);
                long cycles = System.nanoTime() - start;
                return s == null ? null : new Monitor.Counters(cycles, (long) (cycles * ipcAlone.get(pgid) * s), true);
            };
            ModelLoader models = new ModelLoader(testModels());
            models.reload();
            // Affinity is not restored at stop, so that a stopped daemon's status still shows each pair.
            DaemonOptions options = new DaemonOptions(1, Duration.ofMillis(100), false, 0.02, false,
                    dir.resolve("run/control.sock"), null, dir.resolve("run"), true);
            daemon = new Daemon(options, monitor, profiles, models, new Replanner(TOPOLOGY, 0.02));
            loop = new Thread(daemon::run);
            loop.start();
            monitor.report(new Monitor.Detected(ga.pgid(), a.jobId(), 1, 5, a.name()),
                    new Monitor.Detected(gb.pgid(), b.jobId(), 1, 5, b.name()));
        }

        /** Counts both groups from now on, at these speeds beside each other. */
        void count(double speedA, double speedB) {
            ipcAlone.put(ga.pgid(), a.singleIpc());
            ipcAlone.put(gb.pgid(), b.singleIpc());
            speed.put(ga.pgid(), speedA);
            speed.put(gb.pgid(), speedB);
        }

        DaemonStatus.Workload of(TestGroup g) {
            return workload(daemon.status(), g.pgid());
        }

        @Override
        public void close() throws InterruptedException {
            daemon.stop();
            loop.join();
            profiles.close();
        }
    }

    private final Profile a = BundledData.sampleDataset().profiles().get(0);
    private final Profile b = BundledData.sampleDataset().profiles().get(1);
    private TestGroup ga;
    private TestGroup gb;

    private void startStore() throws Exception {
        server = EmbeddedMongo.start(dir.resolve("db"));
        try (ProfileStore store = ProfileStore.connect(server.connectionString(), FAST)) {
            store.importData(BundledData.sampleDataset());
        }
    }

    private List<ObservedSample> stored() {
        try (ProfileStore look = ProfileStore.connect(server.connectionString(), FAST)) {
            return look.observedSamples().items();
        }
    }

    @Test
    void aRestartedDaemonShowsTheObservedSlowdownsOfTheLastOneBeforeObservingAnything() throws Exception {
        startStore();
        log.start();
        learningLog.addAppender(log);
        try (TestGroup x = new TestGroup(1, 0, false); TestGroup y = new TestGroup(1, 0, false)) {
            ga = x;
            gb = y;
            DaemonStatus.Workload firstA;
            DaemonStatus.Workload firstB;
            try (Run first = new Run()) {
                first.count(0.6, 0.9);
                await("both sides observed for two seconds", 60, () -> {
                    DaemonStatus.Workload p = first.of(ga);
                    DaemonStatus.Workload q = first.of(gb);
                    return p != null && q != null && p.observedSeconds() != null && p.observedSeconds() > 2
                            && q.observedSeconds() != null;
                });
                first.close(); // its pair's run goes to the store as it stops
                firstA = first.of(ga);
                firstB = first.of(gb);
            }
            assertEquals(0.4, firstA.observedSlowdown(), 0.01);
            assertEquals(0.1, firstB.observedSlowdown(), 0.01);
            List<ObservedSample> written = stored();
            assertEquals(firstA.observedSeconds(), written.stream().mapToDouble(ObservedSample::seconds).sum(), 1e-6);

            // Observed elsewhere, of a job without a profile, and a document that does not validate: none counts.
            try (ProfileStore store = ProfileStore.connect(server.connectionString(), FAST)) {
                Instant before = Instant.now().minusSeconds(5);
                store.addObservedSamples(List.of(new ObservedSample("another-machine", a.jobId(), b.jobId(), 0.9, 0.9,
                        3600, before), new ObservedSample(MACHINE, a.jobId(), 999_999, 0.9, 0.9, 3600, before)));
                StoreContents.insertObserved(store, new Document("machine", MACHINE).append("job_a", a.jobId())
                        .append("job_b", b.jobId()).append("slowdown_a", 7.0).append("slowdown_b", 0.1)
                        .append("seconds", 3600.0).append("at", before.toString()));
            }
            server.close(); // the machine restarts, its store with it
            server = EmbeddedMongo.start(dir.resolve("db"));

            DaemonStatus.Workload secondA;
            DaemonStatus.Workload secondB;
            try (Run second = new Run()) { // nothing counted: all it knows is what it read
                await("the observations of the last run", 60, () -> {
                    DaemonStatus.Workload p = second.of(ga);
                    return p != null && p.observedSeconds() != null;
                });
                DaemonStatus.Workload p = second.of(ga);
                DaemonStatus.Workload q = second.of(gb);
                assertEquals(gb.pgid(), p.partner());
                assertEquals(firstA.observedSlowdown(), p.observedSlowdown(), 1e-9);
                assertEquals(firstA.observedSeconds(), p.observedSeconds(), 1e-6);
                assertEquals(firstB.observedSlowdown(), q.observedSlowdown(), 1e-9);
                assertEquals(firstB.observedSeconds(), q.observedSeconds(), 1e-6);
                assertEquals(0, second.daemon.status().counters().windowsDiscarded());
                String loaded = log.list.stream().map(ILoggingEvent::getFormattedMessage)
                        .filter(m -> m.startsWith("observed slowdowns: loaded")).reduce((earlier, later) -> later).orElseThrow();
                assertTrue(loaded.startsWith("observed slowdowns: loaded 1 pairs, " + Math.round(firstA.observedSeconds())
                        + " s observed (" + written.size() + " samples of machine " + MACHINE + " since "), loaded);
                assertTrue(loaded.contains("; 1 samples of jobs without a profile left out; 1 invalid documents"
                        + " skipped, the first: observed_samples machine " + MACHINE + ", _id "), loaded);
                assertTrue(loaded.endsWith(": slowdown_a: 7.0 is not in [-1, 1]"), loaded);

                // It observes more, at other speeds: its own samples add to what it read.
                second.count(0.5, 0.8);
                await("more observed", 60, () -> second.of(ga).observedSeconds() > firstA.observedSeconds() + 2);
                second.close();
                secondA = second.of(ga);
                secondB = second.of(gb);
            }
            assertTrue(secondA.observedSlowdown() > 0.4 + 0.001 && secondA.observedSlowdown() < 0.5, secondA.toString());
            List<ObservedSample> afterSecond = stored().stream().filter(s -> s.machine().equals(MACHINE)
                    && s.jobB() != 999_999 && s.jobA() != 999_999).toList();
            assertTrue(afterSecond.containsAll(written), "what it read stays as it was");
            assertEquals(secondA.observedSeconds(), afterSecond.stream().mapToDouble(ObservedSample::seconds).sum(), 1e-6,
                    "what it read is not written again");

            try (Run third = new Run()) { // each sample counts once, however many daemons read it
                await("the observations of both runs", 60, () -> {
                    DaemonStatus.Workload p = third.of(ga);
                    return p != null && p.observedSeconds() != null;
                });
                assertEquals(secondA.observedSlowdown(), third.of(ga).observedSlowdown(), 1e-9);
                assertEquals(secondA.observedSeconds(), third.of(ga).observedSeconds(), 1e-6);
                assertEquals(secondB.observedSlowdown(), third.of(gb).observedSlowdown(), 1e-9);
            }
        }
    }

    @Test
    void aDaemonStartedWhileTheStoreIsDownPlansFromTheModelAndTakesTheObservationsWhenTheyArrive()
            throws Exception {
        startStore();
        try (ProfileStore store = ProfileStore.connect(server.connectionString(), FAST)) {
            store.addObservedSamples(List.of(new ObservedSample(MACHINE, a.jobId(), b.jobId(), 0.3, 0.2, 600,
                    Instant.now().minusSeconds(60))));
        }
        server.close();
        log.start();
        learningLog.addAppender(log);
        try (TestGroup x = new TestGroup(1, 0, false); TestGroup y = new TestGroup(1, 0, false)) {
            ga = x;
            gb = y;
            long started = System.nanoTime();
            try (Run run = new Run()) {
                assertTrue(System.nanoTime() - started < 10_000_000_000L, "the daemon started without its store");
                await("both groups placed", 60, () -> {
                    DaemonStatus.Workload p = run.of(ga);
                    return p != null && p.partner() != null && !p.cpus().isEmpty();
                });
                assertTrue(run.daemon.status().counters().plans() >= 1);
                assertNull(run.of(ga).observedSeconds(), "nothing observed, nothing read yet");
                await("the store's failure said", 30, () -> log.list.stream().anyMatch(e -> e.getLevel() == Level.INFO
                        && e.getFormattedMessage().startsWith("observed slowdowns of earlier runs not loaded yet (")));

                server = EmbeddedMongo.start(dir.resolve("db"));
                await("the observations, once the store is back", 60, () -> run.of(ga).observedSeconds() != null);
                assertEquals(0.3, run.of(ga).observedSlowdown(), 1e-12);
                assertEquals(600, run.of(ga).observedSeconds(), 1e-9);
                assertEquals(0.2, run.of(gb).observedSlowdown(), 1e-12);
            }
        }
        assertTrue(log.list.stream().noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN)), log.list.toString());
    }
}
