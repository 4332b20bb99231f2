// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.smtcheck.profiling.InSituProfiler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code run}'s in-situ schedule (--in-situ-warmup, --in-situ-window, --in-situ-levels), from the command line and the file. */
@Timeout(60)
class RunInSituOptionsTest {
    @TempDir
    Path dir;

    /** The settings {@code run ARGS} gives the daemon, parsed as Main parses them. */
    private static InSituProfiler.Settings settings(String... args) {
        List<String> all = new ArrayList<>(List.of("run"));
        all.addAll(List.of(args));
        String[] line = all.toArray(String[]::new);
        CommandLine cli = new CommandLine(new Main());
        CommandLine run = cli.getSubcommands().get("run");
        run.setDefaultValueProvider(new ConfigFile(line));
        cli.parseArgs(line);
        return ((RunCommand) run.getCommand()).inSituSettings();
    }

    private CliRun run(String... first) {
        return CliRun.dryRun(dir, first);
    }

    private static String oneErrorLine(CliRun o, int code) {
        return o.oneErrorLine(code);
    }

    private Path config(String... lines) throws Exception {
        Path f = dir.resolve("smtcheck.conf");
        Files.write(f, List.of(lines));
        return f;
    }

    @Test
    void theDefaultsAreTheProfilersOwn() throws Exception {
        assertEquals(InSituProfiler.Settings.DEFAULTS, settings("--config", config("# nothing").toString()));
    }

    @Test
    void goodValuesReachTheSettingsAndTheCommandLineWins() throws Exception {
        InSituProfiler.Settings d = InSituProfiler.Settings.DEFAULTS;
        Path f = config("in-situ-warmup=0.5");
        assertEquals(new InSituProfiler.Settings(0.2, 0.75, List.of(0.5, 1.0), d.maxSpread(), d.attempts()),
                settings("--config", f.toString(), "--in-situ-warmup", "0.2", "--in-situ-window", "0.75",
                        "--in-situ-levels", "0.5,1"));
        assertEquals(new InSituProfiler.Settings(0, 3600, List.of(1.0), d.maxSpread(), d.attempts()),
                settings("--config", f.toString(), "--in-situ-warmup=0", "--in-situ-window=3600", "--in-situ-levels=1"));
        config("in-situ-warmup=0.5", "in-situ-window=1.5", "in-situ-levels=0.1,0.6,1");
        assertEquals(new InSituProfiler.Settings(0.5, 1.5, List.of(0.1, 0.6, 1.0), d.maxSpread(), d.attempts()),
                settings("--config", f.toString()));
    }

    @Test
    void badValuesAreCommandLineErrorsNamingTheOption() throws Exception {
        assertEquals("run: --in-situ-warmup: -1.0 s is not within 0 to 3600",
                oneErrorLine(run("--in-situ-warmup", "-1"), ExitCodes.USAGE));
        assertEquals("run: --in-situ-warmup: NaN s is not within 0 to 3600",
                oneErrorLine(run("--in-situ-warmup", "NaN"), ExitCodes.USAGE));
        assertEquals("run: --in-situ-window: 0.0 s is not within (0, 3600]",
                oneErrorLine(run("--in-situ-window", "0"), ExitCodes.USAGE));
        assertEquals("run: --in-situ-window: 3601.0 s is not within (0, 3600]",
                oneErrorLine(run("--in-situ-window", "3601"), ExitCodes.USAGE));
        assertEquals("run: --in-situ-levels: [0.5, 0.7] must end with 1",
                oneErrorLine(run("--in-situ-levels", "0.5,0.7"), ExitCodes.USAGE));
        assertEquals("run: --in-situ-levels: [0.5, 0.25, 1.0] must ascend within (0, 1]",
                oneErrorLine(run("--in-situ-levels", "0.5,0.25,1"), ExitCodes.USAGE));
        assertEquals("run: --in-situ-levels: [0.0, 1.0] must ascend within (0, 1]",
                oneErrorLine(run("--in-situ-levels", "0,1"), ExitCodes.USAGE));
        // not a number: picocli's error, then the usage, as for every option
        CliRun notANumber = run("--in-situ-window", "soon");
        assertEquals(ExitCodes.USAGE, notANumber.code(), notANumber.err());
        assertEquals("Invalid value for option '--in-situ-window': 'soon' is not a double",
                notANumber.err().lines().findFirst().orElse(""));
        assertFalse(Files.exists(dir.resolve("state")), "no state directory was locked");
        assertFalse(Files.exists(dir.resolve("control.sock")), "no control socket was bound");
    }

    @Test
    void badValuesFromTheFileNameItsLine() throws Exception {
        Path f = config("# in situ", "in-situ-window=0");
        assertEquals("run: " + f + ":2: in-situ-window: 0.0 s is not within (0, 3600]",
                oneErrorLine(run("--config", f.toString()), ExitCodes.USAGE));
        config("in-situ-levels=1,0.5");
        assertEquals("run: " + f + ":1: in-situ-levels: [1.0, 0.5] must end with 1",
                oneErrorLine(run("--config", f.toString()), ExitCodes.USAGE));
        config("in-situ-warmup=briefly");
        assertEquals("run: " + f + ":1: invalid value for in-situ-warmup: 'briefly' is not a double",
                oneErrorLine(run("--config", f.toString()), ExitCodes.USAGE));
        // the command line's good value is the one used
        assertEquals(0.25, settings("--config", config("in-situ-warmup=-5").toString(), "--in-situ-warmup", "0.25")
                .warmupSeconds());
    }
}
