// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.leaderStart;
import static io.smtcheck.daemon.DaemonTests.testModels;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.Profile;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.profiles.BundledData;
import io.smtcheck.profiles.EmbeddedMongo;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.StoreContents;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon under faults: the store going away, a bad model, groups that vanish, pgids reused. */
@Timeout(120)
class DaemonFaultsTest {
    @TempDir
    Path dir;
    private DaemonOptions options(boolean userspace) {
        return new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true, dir.resolve("run/control.sock"), null,
                dir.resolve("run"), userspace);
    }
    /** A monitor that reports what the test scripts. */
    static final class ScriptedMonitor implements Monitor {
        private final Deque<Event> pending = new ArrayDeque<>();

        synchronized void report(Event... events) {
            pending.addAll(List.of(events));
        }

        synchronized boolean drained() {
            return pending.isEmpty();
        }

        @Override
        public String describe() {
            return "scripted";
        }

        @Override
        public List<Event> poll() throws InterruptedException {
            Thread.sleep(20);
            synchronized (this) {
                List<Event> out = new ArrayList<>(pending);
                pending.clear();
                return out;
            }
        }

        @Override
        public void acknowledge(int pgid, int jobId) {
        }

        /** What {@link #counters} answers for a group; none by default. */
        volatile java.util.function.IntFunction<Counters> counted = pgid -> null;

        @Override
        public Optional<Counters> counters(int pgid, int slot) {
            return Optional.ofNullable(counted.apply(pgid));
        }

        @Override
        public void resetCounters() {
        }

        @Override
        public void close() {
        }
    }

    /** Profiles straight from the shipped sample, no store involved. */
    static class SampleProfiles implements ProfileSource {
        private final List<Profile> profiles = BundledData.sampleDataset().profiles();

        @Override
        public Optional<Profile> byJob(int jobId) {
            return profiles.stream().filter(p -> p.jobId() == jobId).findFirst();
        }

        @Override
        public List<Profile> all() {
            return profiles;
        }

        @Override
        public void requestProfile(int jobId, String name) {
        }

        @Override
        public String describe() {
            return "sample";
        }

        @Override
        public void close() {
        }
    }

    private Daemon scripted(ScriptedMonitor monitor) {
        ModelLoader models = new ModelLoader(testModels());
        models.reload();
        return new Daemon(options(true), monitor, new SampleProfiles(), models,
                new Replanner(Topology.parse("0,1"), 0.02));
    }

    /** A store that hangs on a lookup until the test lets it go. */
    static final class HangingProfiles implements ProfileSource {
        final CountDownLatch asked = new CountDownLatch(1);
        final CountDownLatch answer = new CountDownLatch(1);

        @Override
        public Optional<Profile> byJob(int jobId) {
            asked.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Optional.empty();
        }

        @Override
        public List<Profile> all() {
            return List.of();
        }

        @Override
        public void requestProfile(int jobId, String name) {
        }

        @Override
        public String describe() {
            return "hanging";
        }

        @Override
        public void close() {
        }
    }

    @Test
    void statusAndResetAnswerWhileAStoreLookupHangs() throws Exception {
        ScriptedMonitor monitor = new ScriptedMonitor();
        HangingProfiles store = new HangingProfiles();
        ModelLoader models = new ModelLoader(testModels());
        models.reload();
        Daemon daemon = new Daemon(options(true), monitor, store, models, new Replanner(Topology.parse("0,1"), 0.02));
        Thread loop = new Thread(daemon::run);
        loop.start();
        ExecutorService asker = Executors.newSingleThreadExecutor();
        try (TestGroup g = new TestGroup(1, 0, false)) {
            monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, "dgemm"));
            assertTrue(store.asked.await(30, TimeUnit.SECONDS), "the daemon looks the profile up");
            Future<?> status = asker.submit(daemon::status);
            status.get(5, TimeUnit.SECONDS);
            Future<?> reset = asker.submit(() -> daemon.reset(true, false));
            reset.get(5, TimeUnit.SECONDS);
            store.answer.countDown();
            await("the group, with neutral scores", () -> workload(daemon.status(), g.pgid()) != null);
        } finally {
            store.answer.countDown();
            asker.shutdownNow();
            daemon.stop();
            loop.join();
        }
    }

    /**
     * A restore whose read of a group's record hangs (a FIFO nobody writes in place of the record)
     * holds up neither status, nor a counters reset, nor the loop taking in a new group; once the
     * record can be read, the restore finishes.
     */
    @Test
    void statusResetAndArrivalsGoOnWhileARestoreReadsASlowRecord() throws Exception {
        ScriptedMonitor monitor = new ScriptedMonitor();
        Daemon daemon = scripted(monitor);
        Thread loop = new Thread(daemon::run);
        loop.start();
        ExecutorService asker = Executors.newSingleThreadExecutor();
        Path record = null;
        String content = null;
        try (TestGroup first = new TestGroup(1, 0, false); TestGroup second = new TestGroup(1, 0, false)) {
            String original = TestGroup.cpusAllowed(first.pgid());
            monitor.report(new Monitor.Detected(first.pgid(), 101, 1, 5, "dgemm"));
            await("the first group pinned", () -> {
                DaemonStatus.Workload w = workload(daemon.status(), first.pgid());
                return w != null && !w.cpus().isEmpty();
            });
            record = dir.resolve("run/originals/" + first.pgid() + ".json");
            content = Files.readString(record);
            Files.delete(record);
            assertEquals(0, new ProcessBuilder("mkfifo", record.toString()).start().waitFor());

            CompletableFuture<ObjectNode> restore = new CompletableFuture<>();
            Thread restorer = new Thread(() -> {
                try {
                    restore.complete(daemon.reset(false, true));
                } catch (RuntimeException e) {
                    restore.completeExceptionally(e);
                }
            });
            restorer.setDaemon(true);
            restorer.start();
            await("the restore to wait for the record", () -> Arrays.stream(restorer.getStackTrace())
                    .anyMatch(f -> f.getClassName().equals(OriginalAffinity.class.getName())));

            asker.submit(daemon::status).get(5, TimeUnit.SECONDS);
            asker.submit(() -> daemon.reset(true, false)).get(5, TimeUnit.SECONDS);
            monitor.report(new Monitor.Detected(second.pgid(), 102, 1, 5, "stream"));
            await("the second group pinned meanwhile", 30, () -> {
                DaemonStatus.Workload w = workload(daemon.status(), second.pgid());
                return w != null && !w.cpus().isEmpty();
            });
            assertFalse(restore.isDone(), "the restore still waits for the record");

            Files.writeString(record, content);
            assertEquals(2, restore.get(30, TimeUnit.SECONDS).path("restoredGroups").asInt());
            assertEquals(original, TestGroup.cpusAllowed(first.pgid()));
            assertEquals(original, TestGroup.cpusAllowed(second.pgid()));
        } finally {
            if (record != null && content != null && Files.exists(record) && !Files.isRegularFile(record)) {
                Files.writeString(record, content); // lets a restore still waiting go
            }
            asker.shutdownNow();
            daemon.stop();
            loop.join();
        }
    }

    @Test
    void aGroupGoneBeforePinningIsDroppedQuietly() throws Exception {
        ScriptedMonitor monitor = new ScriptedMonitor();
        Daemon daemon = scripted(monitor);
        Thread loop = new Thread(daemon::run);
        loop.start();
        try {
            int gone;
            try (TestGroup g = new TestGroup(1, 0, false)) {
                gone = g.pgid();
            }
            monitor.report(new Monitor.Detected(gone, 101, 1, 5, "dgemm"));
            await("the event", monitor::drained);
            Thread.sleep(200);
            DaemonStatus s = daemon.status();
            assertEquals(0, s.workloads().size(), s.toString());
            assertEquals(0, s.counters().errors());
        } finally {
            daemon.stop();
        }
    }

    @Test
    void aReusedPgidIsANewWorkload() throws Exception {
        ScriptedMonitor monitor = new ScriptedMonitor();
        Daemon daemon = scripted(monitor);
        Thread loop = new Thread(daemon::run);
        loop.start();
        try (TestGroup g = new TestGroup(1, 0, false)) {
            monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
            await("the first job", () -> workload(daemon.status(), g.pgid()) != null);
            assertEquals(101, workload(daemon.status(), g.pgid()).job());
            // The group ends and its number comes back as another job's group.
            monitor.report(new Monitor.Exited(g.pgid()), new Monitor.Detected(g.pgid(), 102, 1, 5, ""));
            await("the second job", () -> {
                DaemonStatus.Workload w = workload(daemon.status(), g.pgid());
                return w != null && w.job() == 102;
            });
            DaemonStatus s = daemon.status();
            assertEquals(1, s.workloads().size(), s.toString());
            assertEquals("stream-copy", workload(s, g.pgid()).name());
            assertEquals(1, workload(s, g.pgid()).cpus().size(), "placed again");
        } finally {
            daemon.stop();
        }
    }

    @Test
    void aMalformedModelIsRejectedAndTheGoodOneKept() throws Exception {
        Path models = dir.resolve("models");
        Files.createDirectories(models);
        try (var files = Files.list(testModels())) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("prediction_model_")).toList()) {
                Files.copy(f, models.resolve(f.getFileName()));
            }
        }
        ScriptedMonitor monitor = new ScriptedMonitor();
        ModelLoader loader = new ModelLoader(models);
        loader.reload();
        Path good = loader.current().orElseThrow().file();
        Daemon daemon = new Daemon(options(true), monitor, new SampleProfiles(), loader,
                new Replanner(Topology.parse("0,1"), 0.02));
        Thread loop = new Thread(daemon::run);
        loop.start();
        try (TestGroup g = new TestGroup(1, 0, false)) {
            monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
            await("placement", () -> workload(daemon.status(), g.pgid()) != null);
            Files.writeString(models.resolve("prediction_model_29991231T235959Z.json"), "{\"format_version\": 1, \"resou");
            await("the rejection", () -> daemon.status().model().contains("rejected"));
            DaemonStatus s = daemon.status();
            assertTrue(s.model().startsWith(good.toString()), s.model());
            assertTrue(s.model().contains("prediction_model_29991231T235959Z.json"), s.model());
            // Still working: a second group is placed with the good model.
            try (TestGroup h = new TestGroup(1, 0, false)) {
                monitor.report(new Monitor.Detected(h.pgid(), 102, 1, 5, ""));
                await("the second placement", () -> workload(daemon.status(), h.pgid()) != null
                        && !workload(daemon.status(), h.pgid()).cpus().isEmpty());
            }
        } finally {
            daemon.stop();
        }
    }

    @Test
    void mongoStoppedMidRunThenBack() throws Exception {
        Path data = dir.resolve("mongo");
        EmbeddedMongo server = EmbeddedMongo.start(data);
        try (ProfileStore seed = ProfileStore.connect(server.connectionString())) {
            seed.importData(BundledData.sampleDataset());
        }
        LaunchRegistry launched = new LaunchRegistry(dir.resolve("run/launched"));
        DaemonRuntime runtime = DaemonRuntime.start(options(true), Topology.parse("0,1"), server.connectionString(),
                dir.resolve("unused"), testModels(), false);
        Thread loop = new Thread(runtime::run);
        loop.start();
        try (TestGroup a = new TestGroup(1, 0, false); TestGroup b = new TestGroup(1, 0, false)) {
            launched.add(new LaunchRegistry.Entry(a.pgid(), 101, 1, "a", Instant.now().getEpochSecond(),
                    leaderStart(a)));
            await("the first group", () -> workload(runtime.daemon().status(), a.pgid()) != null);
            server.close(); // MongoDB goes away

            // A job that has no profile anywhere arrives meanwhile: placed with neutral scores.
            launched.add(new LaunchRegistry.Entry(b.pgid(), 4343, 1, "b", Instant.now().getEpochSecond(),
                    leaderStart(b)));
            await("the second group", () -> workload(runtime.daemon().status(), b.pgid()) != null);
            // The lookup that meets the outage runs beside the daemon, not in its way: status shows it soon after.
            await("the outage in status", () -> runtime.daemon().status().storeHealth().startsWith("failing since "));
            DaemonStatus s = runtime.daemon().status();
            assertFalse(workload(s, b.pgid()).profileKnown(), s.toString());
            assertEquals(1, workload(s, b.pgid()).cpus().size(), "placed all the same");
            assertTrue(workload(s, a.pgid()).profileKnown(), "the cached profile is still used");
            // The outage shows in status: the store's health, and its failures among the errors.
            assertTrue(s.storeHealth().startsWith("failing since "), s.toString());
            assertTrue(s.counters().errors() > 0, s.toString());

            // MongoDB returns on the same socket with its data, and the job gets a profile: it is scored.
            server = EmbeddedMongo.start(data);
            Profile like = new SampleProfiles().byJob(103).orElseThrow();
            try (ProfileStore other = ProfileStore.connect(server.connectionString())) {
                other.putProfile(new Profile(4343, "late-job", like.match(), 1, like.singleIpc(), like.l3CacheIpc(),
                        like.resources()));
            }
            await("the profile after the outage", () -> {
                DaemonStatus.Workload w = workload(runtime.daemon().status(), b.pgid());
                return w != null && w.profileKnown();
            });
            assertTrue(runtime.daemon().status().storeHealth().startsWith("ok ("),
                    "recovered, with the failures still counted: " + runtime.daemon().status());
            try (ProfileStore other = ProfileStore.connect(server.connectionString())) {
                assertTrue(StoreContents.requested(other).contains(4343),
                        "the request filed during the outage reached MongoDB");
            }
        } finally {
            runtime.close();
            server.close();
        }
    }

    @Test
    void withoutTheKernelDevicesTheUserspaceMonitorServes() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(KernelMonitor.available(), "the modules are loaded here");
        DaemonRuntime runtime = DaemonRuntime.start(options(false), Topology.parse("0,1"), null, dir.resolve("data"),
                testModels(), false);
        try {
            assertTrue(runtime.daemon().status().monitor().startsWith("userspace"),
                    runtime.daemon().status().toString());
        } finally {
            runtime.close();
        }
    }

    @Test
    void aRestartedDaemonRestoresTheRealOriginalAffinity() throws Exception {
        String original = TestGroup.cpusAllowed(ProcessHandle.current().pid());
        ModelLoader models = new ModelLoader(testModels());
        models.reload();
        try (TestGroup g = new TestGroup(1, 1, false)) {
            java.util.function.Supplier<java.util.Set<String>> pins = () -> {
                try {
                    java.util.Set<String> s = new java.util.HashSet<>();
                    for (long tid : g.tasks()) {
                        s.add(TestGroup.cpusAllowed(tid));
                    }
                    return s;
                } catch (Exception e) {
                    return java.util.Set.of();
                }
            };
            // A first daemon pins the group to CPU 0 and ends without restoring, as if killed.
            DaemonOptions noRestore = new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, false,
                    dir.resolve("run/control.sock"), null, dir.resolve("run"), true);
            ScriptedMonitor m1 = new ScriptedMonitor();
            Daemon first = new Daemon(noRestore, m1, new SampleProfiles(), models,
                    new Replanner(Topology.parse("0"), 0.02));
            new Thread(first::run).start();
            m1.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
            await("the first pin", () -> pins.get().equals(java.util.Set.of("0")));
            first.stop();
            assertEquals(java.util.Set.of("0"), pins.get(), "left pinned");
            assertTrue(Files.exists(dir.resolve("run/originals/" + g.pgid() + ".json")));

            // The next daemon finds the group pinned, and on stop restores what it had before the first.
            ScriptedMonitor m2 = new ScriptedMonitor();
            Daemon second = new Daemon(options(true), m2, new SampleProfiles(), models,
                    new Replanner(Topology.parse("0"), 0.02));
            new Thread(second::run).start();
            m2.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
            await("the second daemon to take the group in", () -> workload(second.status(), g.pgid()) != null);
            second.stop();
            assertEquals(java.util.Set.of(original), pins.get(), "the real original, not the first daemon's pin");
            assertFalse(Files.exists(dir.resolve("run/originals/" + g.pgid() + ".json")), "record removed once restored");
        }
    }
}
