// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** {@code run}'s configuration file: what it accepts, and the one-line errors for what it does not. */
class RunConfigTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path config(String... lines) throws Exception {
        Path f = dir.resolve("smtcheck.conf");
        Files.write(f, List.of(lines));
        return f;
    }

    /** Fails the test unless the command printed exactly one error line, and returns it. */
    private static String oneErrorLine(CliRun o, int code) {
        assertEquals(code, o.code(), o.err());
        assertEquals(1, o.err().lines().count(), o.err());
        return o.err().strip();
    }

    @Test
    void valuesComeFromTheFileAndTheCommandLineWins() throws Exception {
        Path f = config("# daemon settings", "", "  threshold = 600  ", "interval=2.5", "dry-run=true");
        CliRun o = run("run", "--config", f.toString(), "--help");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("Default: 600."), o.out());
        assertTrue(o.out().contains("Default: 2.5."), o.out());
        // The command line's value is the one checked (and refused), not the file's.
        assertEquals("run: --threshold must be at least 1 second, not 0",
                oneErrorLine(run("run", "--config", f.toString(), "--threshold", "0"), ExitCodes.USAGE));
    }

    @Test
    void theFileCountsWhereverConfigStandsOnTheCommandLine() throws Exception {
        Path f = config("threshold=600");
        for (List<String> args : List.of(List.of("run", "--userspace", "--config", f.toString(), "--help"),
                List.of("run", "--dry-run", "--config=" + f, "--userspace", "--help"),
                List.of("run", "--config", f.toString(), "--userspace", "--help"))) {
            CliRun o = run(args.toArray(String[]::new));
            assertEquals(0, o.code(), o.err());
            assertTrue(o.out().contains("Default: 600."), String.join(" ", args) + ":\n" + o.out());
        }
    }

    @Test
    void anUnknownSettingIsAnErrorWithFileLineAndSuggestion() throws Exception {
        Path f = config("# daemon settings", "", "treshold=600");
        String line = oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE);
        assertEquals("run: " + f + ":3: unknown setting \"treshold\" (did you mean \"threshold\"?)", line);

        config("min_gain=0.1");
        assertEquals("run: " + f + ":1: unknown setting \"min_gain\" (did you mean \"min-gain\"?)",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
        config("colour=blue");
        assertEquals("run: " + f + ":1: unknown setting \"colour\"",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
        config("help=true");
        assertEquals("run: " + f + ":1: unknown setting \"help\"",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
    }

    @Test
    void aBadValueNamesFileLineAndSetting() throws Exception {
        Path f = config("interval=1", "threshold=soon");
        assertEquals("run: " + f + ":2: invalid value for threshold: 'soon' is not an int",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
        config("dry-run=maybe");
        assertEquals("run: " + f + ":1: invalid value for dry-run: 'maybe' is not a boolean",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
        // Out of range: checked once the command runs, before anything starts; a command-line error too.
        config("", "threshold=0");
        assertEquals("run: " + f + ":2: threshold must be at least 1 second, not 0",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
        config("interval=0.001");
        assertEquals("run: " + f + ":1: interval must be between 0.05 and 3600 seconds, not 0.001",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
        // The same value on the command line is named as the option.
        config("threshold=600");
        assertEquals("run: --threshold must be at least 1 second, not 0",
                oneErrorLine(run("run", "--config", f.toString(), "--threshold", "0"), ExitCodes.USAGE));
    }

    @Test
    void malformedLinesAreErrors() throws Exception {
        Path f = config("threshold 600");
        assertEquals("run: " + f + ":1: expected name=value, not \"threshold 600\"",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
        config("topology=");
        assertEquals("run: " + f + ":1: topology has no value (leave the line out for the default)",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
        config("threshold=600", "# later", "threshold=60");
        assertEquals("run: " + f + ":3: threshold is set already, on line 1",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
        config("config=/etc/other.conf");
        assertEquals("run: " + f + ":1: unknown setting \"config\"",
                oneErrorLine(run("run", "--config", f.toString()), ExitCodes.USAGE));
    }

    @Test
    void aNamedFileThatIsMissingIsAnError() {
        Path missing = dir.resolve("none.conf");
        assertEquals("run: " + missing + ": no such configuration file",
                oneErrorLine(run("run", "--config", missing.toString(), "--help"), ExitCodes.USAGE));
    }

    /** The names come from run's options: any option, including one added later, can be set in the file. */
    @Test
    void everyOptionOfRunCanBeSetInTheFile() throws Exception {
        CommandLine run = new CommandLine(new Main()).getSubcommands().get("run");
        List<String> lines = new ArrayList<>();
        for (OptionSpec o : run.getCommandSpec().options()) {
            if (o.usageHelp() || o.versionHelp() || o.longestName().equals("--config")) {
                continue;
            }
            String value = o.arity().max() == 0 ? "true" : o.defaultValue() != null ? o.defaultValue() : "1";
            lines.add(o.longestName().substring(2) + "=" + value);
        }
        assertTrue(lines.size() >= 15, lines.toString());
        Path f = config(lines.toArray(String[]::new));
        CliRun o = run("run", "--config", f.toString(), "--help");
        assertEquals(0, o.code(), o.err());
        assertFalse(o.err().contains("unknown setting"), o.err());
    }
}
