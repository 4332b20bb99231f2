// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.smtcheck.control.ControlServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Exit codes and messages for what is wrong outside the input files: option values, the control socket, the system. */
class CommandLineErrorsTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    /** A malformed value and an out-of-range one are the same kind of mistake. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            run --threshold 0      | --threshold must be at least 1 second, not 0
            run --threshold abc    | Invalid value for option '--threshold': 'abc' is not an int
            run --interval 0       | --interval must be between 0.05 and 3600 seconds, not 0.0
            run --interval x       | Invalid value for option '--interval'
            run --min-gain -1      | --min-gain must be 0 or more, not -1.0
            """)
    void invalidOptionValuesAreCommandLineErrors(String commandLine, String reason) {
        CliRun r = run(commandLine.split(" "));
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertTrue(r.err().lines().findFirst().orElse("").contains(reason), r.err());
    }

    /** A command that only reads the store refuses a data directory that is not there, and does not create it. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(textBlock = """
            profiles export
            scores
            train --out model.json
            """)
    void readingANonexistentDataDirectoryIsRefusedAndCreatesNothing(String command) {
        Path missing = dir.resolve("no-such-store");
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.replaceAll(a -> a.equals("model.json") ? dir.resolve(a).toString() : a);
        args.addAll(List.of("--data-dir", missing.toString()));
        CliRun r = run(args.toArray(String[]::new));
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertTrue(r.err().lines().findFirst().orElse("").contains("--data-dir " + missing + ": no such directory"), r.err());
        assertFalse(Files.exists(missing), missing + " was created");
    }

    @Test
    void messagesAreWordsNotJavaClassNames() {
        assertEquals("no such user or group: smtcheck", Failures.oneLine(new UserPrincipalNotFoundException("smtcheck")));
        assertEquals("/run/x: permission denied", Failures.oneLine(new AccessDeniedException("/run/x")));
        assertEquals("/run/x: no such file or directory", Failures.oneLine(new NoSuchFileException("/run/x")));
        assertEquals("/run/x: not a directory", Failures.oneLine(new NoSuchFileException("/run/x", null, "not a directory")));
        assertEquals("cannot open the store: Broken pipe", Failures.oneLine(
                new UncheckedIOException(new IOException("cannot open the store: Broken\n pipe"))));
        assertEquals("unexpected failure (no reason given)", Failures.oneLine(new IllegalStateException()));
    }

    @Test
    void aDaemonThatHangsUpIsASystemFailureInWords() throws Exception {
        Path socket = dir.resolve("hangs-up.sock");
        try (UnixServerSocketChannel server = UnixServerSocketChannel.open()) {
            server.socket().bind(new UnixSocketAddress(socket.toFile()));
            Thread acceptor = new Thread(() -> {
                try (UnixSocketChannel c = server.accept()) {
                    // closed at once, unanswered
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            acceptor.start();
            CliRun r = run("status", "--socket", socket.toString());
            acceptor.join();
            assertEquals(ExitCodes.FAILURE, r.code(), r.err());
            assertTrue(r.err().startsWith("status: lost the connection to the daemon at " + socket + ": "), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }

    /** Mode 0660 keeps a user outside the socket's group out: that is a refusal, not a system failure. */
    @Test
    void aUserOutsideTheSocketsGroupIsRefused() throws Exception {
        assumeTrue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0, "needs root to act as another uid");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv");
        Path shared = Files.createTempDirectory("smtcheck-refused-");
        try {
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path socket = shared.resolve("control.sock");
            try (ControlServer daemon = ControlServer.start(socket, null, Map.of("status", ControlServer.Command.reading(
                    (request, peer) -> JsonNodeFactory.instance.objectNode().put("pid", 1))))) {
                assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
                List<String> command = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", readableClassPath(shared.resolve("cp")), Main.class.getName(), "status", "--socket",
                        socket.toString()));
                Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(ExitCodes.REFUSED, p.exitValue(), err);
                assertEquals("status: permission denied on " + socket + ": run as root or as a member of the socket's group",
                        err);
                assertEquals(0, daemon.errors(), "the refusal came from the socket's mode, not from the daemon");
            }
        } finally {
            try (var files = Files.walk(shared)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** This JVM's class path, with the jars that another user cannot read (under /root) copied where it can. */
    private static String readableClassPath(Path copies) throws IOException {
        Files.createDirectories(copies);
        Files.setPosixFilePermissions(copies, PosixFilePermissions.fromString("rwxr-xr-x"));
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isRegularFile(p)) {
                Path copy = copies.resolve((n++) + "-" + p.getFileName());
                Files.copy(p, copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                entries.add(copy.toString());
            } else {
                entries.add(entry);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }
}
