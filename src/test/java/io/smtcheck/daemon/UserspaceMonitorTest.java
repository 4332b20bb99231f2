// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.smtcheck.model.ProcessMatch;
import io.smtcheck.model.Profile;
import io.smtcheck.os.Signals;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.profiles.BundledData;
import io.smtcheck.sched.TestGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The userspace monitor's scan over real processes: profiles that cannot match, leaders that exec, stale records. */
@Timeout(60)
class UserspaceMonitorTest {
    @TempDir
    Path dir;

    private final List<Integer> started = new ArrayList<>();

    @AfterEach
    void killStarted() {
        for (int pgid : started) {
            GroupLauncher.signal(pgid, Signals.SIGKILL);
            GroupLauncher.waitFor(pgid);
        }
    }

    private int start(String... command) {
        int pgid = GroupLauncher.start(List.of(command));
        started.add(pgid);
        return pgid;
    }

    private static Profile profile(int job, String name, ProcessMatch match) {
        Profile like = BundledData.sampleDataset().profiles().get(0);
        return new Profile(job, name, match, 1, like.singleIpc(), like.l3CacheIpc(), like.resources());
    }

    /** Profiles fixed by the test. */
    private static ProfileSource profiles(List<Profile> all) {
        return new ProfileSource() {
            @Override
            public Optional<Profile> byJob(int jobId) {
                return all.stream().filter(p -> p.jobId() == jobId).findFirst();
            }

            @Override
            public List<Profile> all() {
                return all;
            }

            @Override
            public void requestProfile(int jobId, String name) {
            }

            @Override
            public String describe() {
                return "fixed";
            }

            @Override
            public void close() {
            }
        };
    }

    private UserspaceMonitor monitor(List<Profile> all) {
        return new UserspaceMonitor(new ProcessTable(), new LaunchRegistry(dir.resolve("launched")), profiles(all), 0,
                Duration.ofMillis(200));
    }

    /**
     * A scan in a thread with a small stack: how deep a regular expression may recurse depends on
     * the stack and on what the JIT has compiled so far, and a small stack makes the runaway rule
     * overflow it every time.
     */
    private static List<Monitor.Event> scanOnASmallStack(UserspaceMonitor m) throws Exception {
        java.util.concurrent.atomic.AtomicReference<Object> result = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                result.set(m.scan());
            } catch (Exception e) {
                result.set(e);
            }
        }, "scan", 256 * 1024);
        t.start();
        t.join();
        if (result.get() instanceof Exception e) {
            throw e;
        }
        @SuppressWarnings("unchecked")
        List<Monitor.Event> events = (List<Monitor.Event>) result.get();
        return events;
    }

    private static List<Integer> detected(List<Monitor.Event> events, int jobId) {
        return events.stream().filter(e -> e instanceof Monitor.Detected d && d.jobId() == jobId)
                .map(e -> ((Monitor.Detected) e).pgid()).toList();
    }
    @Test
    void profilesWithoutARuleOrWithAnUnusableOneStopNoDetection() throws Exception {
        // A leader whose command line holds a long run of a and b: (a|b)*\x01 recurses once per character
        // (and matches no real command line: /proc shows no control characters in one).
        int runaway = start("sh", "-c", "sleep 30; :", "ab".repeat(2000));
        await("the leader to run", () -> "sh".equals(comm(runaway)));
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(UserspaceMonitor.class)).addAppender(log);
        try (TestGroup g = new TestGroup(1, 0, false); TestGroup h = new TestGroup(1, 0, false)) {
            List<Profile> all = List.of(
                    profile(900, "by-id-only", null),
                    profile(901, "runaway", new ProcessMatch(null, "(a|b)*\\x01")),
                    profile(902, "testproc", new ProcessMatch("smtcheck-testpr", null)));
            UserspaceMonitor m = monitor(all);
            List<Monitor.Event> events = scanOnASmallStack(m);
            List<Integer> found = detected(events, 902);
            assertTrue(found.containsAll(List.of(g.pgid(), h.pgid())), events.toString());
            assertEquals(List.of(), detected(events, 901), "the unusable rule matched nothing");
            assertFalse(events.stream().anyMatch(e -> e instanceof Monitor.Detected d && d.pgid() == runaway));
            assertTrue(m.profileErrors() >= 1, "counted");

            // The same failure again, on a second leader: counted again, but warned about once.
            int second = start("sh", "-c", "sleep 30; :", "ba".repeat(2000));
            await("the second leader to run", () -> "sh".equals(comm(second)));
            long before = m.profileErrors();
            List<Monitor.Event> again = scanOnASmallStack(m);
            assertTrue(m.profileErrors() > before);
            List<String> warnings = log.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(s -> s.contains("'runaway' (job 901)")).toList();
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("match.cmdline: the expression recurses too deeply"), warnings.get(0));
            assertFalse(again.stream().anyMatch(e -> e instanceof Monitor.Detected d && d.pgid() == second));
        } finally {
            ((Logger) LoggerFactory.getLogger(UserspaceMonitor.class)).detachAppender(log);
        }
    }

    @Test
    void slurmJobsAreReportedWithTheSlurmJobIdAndTheProfileOfTheirName() throws Exception {
        // Started as Slurm's task plugins leave a task that cgroups do not track (proctrack/linuxproc): the
        // environment names the job. Job 902 is also a profile's job id, which must not be taken for it.
        int named = start("env", "SLURM_JOB_ID=902", "SLURM_JOB_NAME=dgemm", "sleep", "30");
        int unnamed = start("env", "SLURM_JOB_ID=903", "SLURM_JOB_NAME=no-such-profile", "SLURM_CPUS_PER_TASK=3",
                "sleep", "30");
        int ruled = start("env", "SLURM_JOB_ID=904", "SLURM_JOB_NAME=interactive", "sh", "-c", "sleep 30; :");
        for (int pgid : List.of(named, unnamed, ruled)) {
            await("env to exec", () -> !"env".equals(comm(pgid)));
        }
        List<Profile> all = List.of(
                profile(101, "dgemm", new ProcessMatch("dgemm", null)),
                profile(902, "by-id-only", null),
                profile(905, "shell", new ProcessMatch("sh", null)));
        List<Monitor.Event> events = monitor(all).scan();
        assertEquals(new Monitor.Detected(named, 902, 1, 0, "dgemm", "dgemm"), reportOf(events, named));
        assertEquals(new Monitor.Detected(unnamed, 903, 3, 0, "no-such-profile", ""), reportOf(events, unnamed));
        assertEquals(new Monitor.Detected(ruled, 904, 1, 0, "interactive", "shell"), reportOf(events, ruled));
    }

    /** The group's report, its runtime zeroed (it depends on when the scan ran). */
    private static Monitor.Detected reportOf(List<Monitor.Event> events, int pgid) {
        Monitor.Detected d = events.stream().filter(e -> e instanceof Monitor.Detected x && x.pgid() == pgid)
                .map(e -> (Monitor.Detected) e).findFirst().orElseThrow(() -> new AssertionError(pgid + ": " + events));
        return new Monitor.Detected(d.pgid(), d.jobId(), d.workers(), 0, d.name(), d.profileName());
    }

    @Test
    void aLeaderThatExecsAfterItsFirstScanIsDetected() throws Exception {
        // A job script that waits, then becomes the real program: a copy of sleep under a name of its own.
        Path program = dir.resolve("smtck-execd");
        Files.copy(Path.of("/bin/sleep"), program);
        program.toFile().setExecutable(true);
        Path go = dir.resolve("go");
        int pgid = start("sh", "-c", "while [ ! -e " + go + " ]; do sleep 0.02; done; exec " + program + " 30");
        UserspaceMonitor m = monitor(List.of(profile(903, "execd", new ProcessMatch("smtck-execd", null))));
        await("the script to run", () -> "sh".equals(comm(pgid)));
        assertEquals(List.of(), detected(m.scan(), 903), "still the script");
        assertEquals(List.of(), detected(m.scan(), 903), "still the script");
        Files.createFile(go);
        await("the exec", () -> "smtck-execd".equals(comm(pgid)));
        assertEquals(List.of(pgid), detected(m.scan(), 903), "the next scan sees the new program");
    }

    @Test
    void aLeaderThatExecsTheSameNameWithOtherArgumentsIsCheckedAgain() throws Exception {
        Path go = dir.resolve("go");
        // sh becomes sh again, now running a command line the profile's rule looks for (quoted, so that
        // the first command line does not hold it already).
        int pgid = start("sh", "-c", "while [ ! -e " + go + " ]; do sleep 0.02; done; exec sh -c 'sleep 30; :' smtck-second-\"stage\"");
        UserspaceMonitor m = monitor(List.of(profile(904, "second-stage", new ProcessMatch("sh", "smtck-second-stage"))));
        await("the script to run", () -> "sh".equals(comm(pgid)));
        assertEquals(List.of(), detected(m.scan(), 904));
        Files.createFile(go);
        await("the exec", () -> {
            try {
                return Files.readString(Path.of("/proc/" + pgid + "/cmdline")).contains("smtck-second-stage");
            } catch (java.io.IOException e) {
                return false;
            }
        });
        assertEquals(List.of(pgid), detected(m.scan(), 904));
    }

    @Test
    void aLaunchRecordOfAnEarlierLeaderIsRemovedNotUsed() throws Exception {
        LaunchRegistry launched = new LaunchRegistry(dir.resolve("launched"));
        ProcessTable table = new ProcessTable();
        try (TestGroup reused = new TestGroup(1, 0, false); TestGroup real = new TestGroup(1, 0, false)) {
            long start = table.startTicks(reused.pgid()).orElseThrow();
            // Left by a launcher killed with SIGKILL: its leader had this pid but started earlier.
            LaunchRegistry.Entry stale = new LaunchRegistry.Entry(reused.pgid(), 905, 1, "old job", 0, start - 1);
            LaunchRegistry.Entry good = new LaunchRegistry.Entry(real.pgid(), 906, 1, "job",
                    0, table.startTicks(real.pgid()).orElseThrow());
            int ended = start("true");
            GroupLauncher.waitFor(ended);
            started.remove((Integer) ended);
            LaunchRegistry.Entry gone = new LaunchRegistry.Entry(ended, 907, 1, "finished job", 0, 1);
            for (LaunchRegistry.Entry e : List.of(stale, good, gone)) {
                launched.add(e);
            }
            List<Monitor.Event> events = monitor(List.of()).scan();
            assertEquals(List.of(), detected(events, 905), "the reused pgid is not taken for the old job");
            assertEquals(List.of(real.pgid()), detected(events, 906));
            assertEquals(List.of(good), launched.entries(), "the stale and the ended records are removed");
        }
    }

    private static String comm(int pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
