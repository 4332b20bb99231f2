// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.model.ModelFiles;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.model.OversizedJson;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The running daemon against input that is too big: a model file past the parser's limits, a huge worker count. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DaemonInputBoundsTest {
    @TempDir
    Path dir;

    private Daemon daemon(ModelLoader models, DaemonFaultsTest.ScriptedMonitor monitor) {
        DaemonOptions options = new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true,
                dir.resolve("run/control.sock"), null, dir.resolve("run"), true);
        return new Daemon(options, monitor, new DaemonFaultsTest.SampleProfiles(), models,
                new Replanner(Topology.parse("0,1"), 0.02));
    }
    @Test
    void aModelFilePastTheParsersLimitsIsRejectedAndTheDaemonGoesOn() throws Exception {
        Path models = dir.resolve("models");
        Files.createDirectories(models);
        Path shipped = ModelFiles.newest(Path.of(System.getProperty("smtcheck.test.models", "trained_model"))).orElseThrow();
        Path good = Files.copy(shipped, models.resolve("prediction_model_20250101T000000Z.json"));
        ModelLoader loader = new ModelLoader(models);
        loader.reload();
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = daemon(loader, monitor);
        Thread loop = new Thread(daemon::run);
        loop.start();
        try {
            Files.writeString(models.resolve("prediction_model_29991231T235959Z.json"),
                    OversizedJson.DEEP_NESTING.into(Files.readString(shipped), "intercept"));
            await("the rejection", () -> daemon.status().model().contains("rejected"));
            String model = daemon.status().model();
            assertTrue(model.startsWith(good + " (newer file rejected: "), model);
            assertTrue(model.contains("over the reader's limits: " + OversizedJson.DEEP_NESTING.reason), model);
            try (TestGroup g = new TestGroup(1, 0, false)) {
                monitor.report(new Monitor.Detected(g.pgid(), 101, 1, 5, ""));
                await("a placement with the good model", () -> workload(daemon.status(), g.pgid()) != null
                        && !workload(daemon.status(), g.pgid()).cpus().isEmpty());
            }
            assertTrue(loop.isAlive());
        } finally {
            daemon.stop();
        }
    }

    @Test
    void aWorkerCountBeyondTheHardwareThreadsIsClampedNotRejected() throws Exception {
        ModelLoader loader = new ModelLoader(Path.of(System.getProperty("smtcheck.test.models", "trained_model")));
        loader.reload();
        DaemonFaultsTest.ScriptedMonitor monitor = new DaemonFaultsTest.ScriptedMonitor();
        Daemon daemon = daemon(loader, monitor);
        Thread loop = new Thread(daemon::run);
        loop.start();
        try (TestGroup g = new TestGroup(1, 0, false)) {
            monitor.report(new Monitor.Detected(g.pgid(), 101, Integer.MAX_VALUE, 5, ""));
            await("the placement", () -> workload(daemon.status(), g.pgid()) != null
                    && !workload(daemon.status(), g.pgid()).cpus().isEmpty());
            DaemonStatus.Workload w = workload(daemon.status(), g.pgid());
            assertEquals(2, w.workers(), w.toString());
            assertEquals(2, w.cpus().size(), w.toString());
        } finally {
            daemon.stop();
        }
    }
}
