// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.smtcheck.control.ControlServer;
import io.smtcheck.kernel.KernelCallException;
import io.smtcheck.os.Errno;
import io.smtcheck.os.NativeCallException;
import io.smtcheck.profiles.StoreAccessDeniedException;
import io.smtcheck.profiles.StoreUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Every kind of failure a command can meet exits with the code ExitCodes and the README document,
 * with one line on stderr that names the command and says why in words, never a Java class name.
 */
class FailureExitCodesTest {
    @TempDir
    Path dir;

    private static CliRun run(CommandLine cli, String... args) {
        return CliRun.of(cli, args);
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static void assertOneLineInWords(String command, CliRun r) {
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith(command + ": "), r.err());
        assertFalse(r.err().matches("(?s).*(Exception|Error\\b|io\\.smtcheck\\.|java\\.).*"), r.err());
    }

    /** A command of the real command line that fails the way a real one would. */
    @Command(name = "fails")
    static final class Fails implements Callable<Integer> {
        private final Supplier<Throwable> failure;

        Fails(Supplier<Throwable> failure) {
            this.failure = failure;
        }

        @Override
        public Integer call() throws Exception {
            Throwable t = failure.get();
            if (t instanceof Error e) {
                throw e;
            }
            throw (Exception) t;
        }
    }

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of(ExitCodes.FAILURE, "open(/dev/runtime_monitor): No such file or directory",
                        (Supplier<Throwable>) () -> new KernelCallException("open(/dev/runtime_monitor)", Errno.ENOENT)),
                Arguments.of(ExitCodes.FAILURE, "sched_setaffinity(tid 42 of pid 40): Operation not permitted",
                        (Supplier<Throwable>) () -> new NativeCallException("sched_setaffinity(tid 42 of pid 40)",
                                Errno.EPERM)),
                Arguments.of(ExitCodes.FAILURE, "write profiles.mv: No space left on device",
                        (Supplier<Throwable>) () -> new KernelCallException("write profiles.mv", Errno.ENOSPC)),
                Arguments.of(ExitCodes.FAILURE, "the profile store is unreachable",
                        (Supplier<Throwable>) () -> new StoreUnavailableException("the profile store is unreachable",
                                null)),
                Arguments.of(ExitCodes.FAILURE, "/x/profiles.mv: no such file or directory",
                        (Supplier<Throwable>) () -> new UncheckedIOException(new NoSuchFileException("/x/profiles.mv"))),
                Arguments.of(ExitCodes.BAD_INPUT, "data.json: profiles[0].workers: 0 is not at least 1",
                        (Supplier<Throwable>) () -> new IllegalArgumentException(
                                "data.json: profiles[0].workers: 0 is not at least 1")),
                Arguments.of(ExitCodes.BAD_INPUT, "scores.json: no such file",
                        (Supplier<Throwable>) () -> new InputException("scores.json: no such file")),
                Arguments.of(ExitCodes.USAGE, "--threshold must be at least 1 second, not 0",
                        (Supplier<Throwable>) () -> new OptionValueException("--threshold must be at least 1 second, not 0")),
                Arguments.of(ExitCodes.REFUSED, "CPUs [2] are managed by the running daemon",
                        (Supplier<Throwable>) () -> new RefusedException("CPUs [2] are managed by the running daemon")),
                Arguments.of(ExitCodes.REFUSED, "permission denied: the profile store belongs to root",
                        (Supplier<Throwable>) () -> new StoreAccessDeniedException(
                                "permission denied: the profile store belongs to root", null)));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("failures")
    void eachFailureHasItsExitCodeAndOneLine(int code, String reason, Supplier<Throwable> failure) {
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand("fails", new Fails(failure));
        CliRun r = run(cli, "fails");
        assertEquals(code, r.code(), r.err());
        assertOneLineInWords("fails", r);
        assertTrue(r.err().contains(reason), r.err());
    }

    /** An error, not an exception, passes picocli's handler by: Main words it all the same. */
    @Test
    void aNativeLibraryThatCannotLoadIsASystemFailure() {
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand("fails", new Fails(() -> new ExceptionInInitializerError(
                new UnsatisfiedLinkError("libsmtcheck.so is missing"))));
        CliRun r = run(cli, "fails");
        assertEquals(ExitCodes.FAILURE, r.code(), r.err());
        assertOneLineInWords("smtcheck", r);
        assertEquals("smtcheck: cannot load the native library: libsmtcheck.so is missing", r.err().strip());
    }

    // The same, from real commands where this machine can make them fail.

    @Test
    void aCommandThatCannotBeStartedIsASystemFailure() {
        CliRun r = run("launch", "--job", "1", "--", "/nonexistent/command");
        assertEquals(ExitCodes.FAILURE, r.code(), r.err());
        assertOneLineInWords("launch", r);
    }

    @Test
    void aDataDirectoryThatIsAFileIsASystemFailure() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-directory"), "");
        CliRun r = run("profiles", "export", "--data-dir", file.toString());
        assertEquals(ExitCodes.FAILURE, r.code(), r.err());
        assertOneLineInWords("export", r);
    }

    @Test
    void aBadInputFileIsBadInput() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"workloads\":[{\"id\":\"a\"}],\"matrix\":[[0,1]]}");
        CliRun r = run("plan", "--scores", bad.toString(), "--topology", "0");
        assertEquals(ExitCodes.BAD_INPUT, r.code(), r.err());
        assertOneLineInWords("plan", r);
    }

    @Test
    void noDaemonIsNotRunning() {
        CliRun r = run("status", "--socket", dir.resolve("none.sock").toString());
        assertEquals(ExitCodes.NOT_RUNNING, r.code(), r.err());
        assertOneLineInWords("status", r);
    }

    @Test
    void aRequestTheDaemonRefusesIsRefused() throws IOException {
        Path socket = dir.resolve("control.sock");
        try (ControlServer daemon = ControlServer.start(socket, null, Map.of("reset", ControlServer.Command.reading(
                (request, peer) -> {
                    throw new IllegalArgumentException("nothing to reset");
                })))) {
            CliRun r = run("reset", "--counters", "--socket", socket.toString());
            assertEquals(ExitCodes.REFUSED, r.code(), r.err());
            assertOneLineInWords("reset", r);
            assertTrue(r.err().contains("nothing to reset"), r.err());
        }
        assertEquals(ExitCodes.USAGE, run("run", "--threshold", "0").code());
    }
}
