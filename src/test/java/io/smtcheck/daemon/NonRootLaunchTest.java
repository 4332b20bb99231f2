// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static io.smtcheck.daemon.DaemonTests.await;
import static io.smtcheck.daemon.DaemonTests.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.smtcheck.control.ControlServer;
import io.smtcheck.os.Signals;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.sched.TestGroup;
import io.smtcheck.sched.Topology;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `smtcheck launch` run by an unprivileged user (uid 65534) against a real daemon: the daemon
 * registers the user's own job over the control socket, and refuses groups of other users.
 */
@Timeout(180)
class NonRootLaunchTest {
    private static final String SETPRIV = "/usr/bin/setpriv";

    @TempDir
    Path dir;
    private static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid");
    }

    /**
     * This JVM's class path where uid 65534 can read it: jars linked (or copied) into the test's
     * directory, class directories copied, since the build's own may lie under root's home.
     */
    private String readableClassPath() throws IOException {
        Path cp = Files.createDirectories(dir.resolve("classpath"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path from = Path.of(entry);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = cp.resolve(i++ + "-" + from.getFileName());
            if (Files.isDirectory(from)) {
                try (Stream<Path> tree = Files.walk(from)) {
                    for (Path p : tree.toList()) {
                        Path target = to.resolve(from.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(target);
                        } else {
                            Files.copy(p, target);
                        }
                    }
                }
            } else {
                try {
                    Files.createLink(to, from);
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(from, to);
                }
            }
            entries.add(to.toString());
        }
        try (Stream<Path> tree = Files.walk(cp)) {
            for (Path p : tree.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** The smtcheck command line, run as uid 65534 with no supplementary groups. */
    private ProcessBuilder smtcheckAsNobody(String classPath, String... args) {
        List<String> cmd = new ArrayList<>(List.of(SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData", "-cp", classPath,
                "io.smtcheck.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    private String controlAsNobody(Path socket, String line) throws Exception {
        String tool = System.getProperty("smtcheck.test.tools", "target/native") + "/smtcheck-control-client";
        Process p = new ProcessBuilder(SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups", tool,
                socket.toString(), line).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void aUserLaunchesAManagedJobOfTheirOwnButCannotRegisterAnotherUsersGroup() throws Exception {
        assumeTrue(uid(Path.of("/proc/self")) == 0, "needs root to act as another uid");
        assumeTrue(Files.isExecutable(Path.of(SETPRIV)), "needs setpriv");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        String classPath = readableClassPath();
        Path run = dir.resolve("run");
        Path socket = run.resolve("control.sock");
        DaemonOptions options = new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true, socket, "nogroup", run,
                true);
        DaemonRuntime runtime = DaemonRuntime.start(options, Topology.parse("0,1"), null, dir.resolve("data"),
                Path.of(System.getProperty("smtcheck.test.models", "trained_model")), false);
        Thread loop = new Thread(runtime::run, "daemon-under-test");
        loop.start();
        Path err = dir.resolve("launch.err");
        Process launch = null;
        int pgid = -1;
        try (TestGroup roots = new TestGroup(1, 0, false)) {
            launch = smtcheckAsNobody(classPath, "launch", "--job", "101", "--socket", socket.toString(), "--",
                    "sleep", "120").redirectErrorStream(true).redirectOutput(err.toFile()).start();
            Pattern registered = Pattern.compile("launch: job 101 runs as process group (\\d+), registered by the daemon: "
                    + "recorded in " + Pattern.quote(run.resolve("launched").toString()) + " for the userspace monitor");
            await("the launch to register", () -> {
                try {
                    return registered.matcher(Files.readString(err)).find();
                } catch (IOException e) {
                    return false;
                }
            });
            Matcher m = registered.matcher(Files.readString(err));
            assertTrue(m.find());
            int job = Integer.parseInt(m.group(1));
            pgid = job;
            assertEquals(65534, uid(Path.of("/proc/" + job)), "the job runs as the user");

            // Managed: in status, and pinned, as /proc shows it.
            await("the job placed", () -> {
                DaemonStatus.Workload w = workload(runtime.daemon().status(), job);
                return w != null && w.cpus().size() == 1;
            });
            String cpu = workload(runtime.daemon().status(), job).cpus().get(0).toString();
            assertEquals(cpu, TestGroup.cpusAllowed(job));

            // Another user's group (root's) is refused, whatever job it claims to be.
            String refused = controlAsNobody(socket,
                    "{\"command\":\"launch\",\"pgid\":" + roots.pgid() + ",\"job\":101,\"workers\":1}");
            assertEquals("{\"ok\":false,\"error\":\"permission denied: process group " + roots.pgid()
                    + " belongs to uid 0, not to you (uid 65534)\"}", refused);
            Thread.sleep(1500); // past the threshold: it would have been taken in by now
            assertNull(workload(runtime.daemon().status(), roots.pgid()), "not managed");
            assertFalse(Files.exists(run.resolve("launched/" + roots.pgid() + ".json")));

            // The job ends: it leaves the daemon, and the record the user could not remove is removed.
            GroupLauncher.signal(job, Signals.SIGKILL);
            assertTrue(launch.waitFor(30, TimeUnit.SECONDS));
            assertEquals(128 + 9, launch.exitValue(), Files.readString(err));
            await("the job to leave", () -> workload(runtime.daemon().status(), job) == null);
            await("its record removed", () -> !Files.exists(run.resolve("launched/" + job + ".json")));
        } finally {
            if (pgid > 0) {
                GroupLauncher.signal(pgid, Signals.SIGKILL);
            }
            if (launch != null) {
                launch.destroyForcibly();
            }
            runtime.close();
        }
    }

    @Test
    void whenTheDaemonCannotRegisterTheJobTheJobRunsAndTheMessageSaysWhy() throws Exception {
        assumeTrue(uid(Path.of("/proc/self")) == 0, "needs root to act as another uid");
        assumeTrue(Files.isExecutable(Path.of(SETPRIV)), "needs setpriv");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        String classPath = readableClassPath();
        Path state = Files.createDirectories(dir.resolve("state")); // root's, as /run/smtcheck is
        Path none = dir.resolve("none.sock");
        String out = runAsNobody(classPath, 3, "launch", "--job", "7", "--state-dir", state.toString(), "--socket",
                none.toString(), "--", "sh", "-c", "exit 3");
        assertTrue(Pattern.matches("launch: job 7 runs as process group \\d+ but is NOT managed: daemon is not running"
                + " \\(no socket at " + Pattern.quote(none.toString()) + "\\)", out), out);

        // A daemon whose socket this user may not open: mode 0660, root's group.
        Path rootOnly = dir.resolve("root-only.sock");
        try (ControlServer server = ControlServer.start(rootOnly, null, Map.of())) {
            out = runAsNobody(classPath, 0, "launch", "--job", "7", "--socket", rootOnly.toString(), "--", "true");
            assertTrue(Pattern.matches("launch: job 7 runs as process group \\d+ but is NOT managed: permission denied on "
                    + Pattern.quote(rootOnly.toString()) + ": run as root or as a member of the socket's group", out), out);
        }
    }

    /** Runs smtcheck as uid 65534, checks its exit code and returns what it printed, trimmed. */
    private String runAsNobody(String classPath, int expectedExit, String... args) throws Exception {
        Process p = smtcheckAsNobody(classPath, args).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(expectedExit, p.waitFor(), out);
        return out;
    }
}
