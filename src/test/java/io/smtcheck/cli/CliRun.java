// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** One command line run through {@link Main} in this JVM: its exit code and what it printed. */
record CliRun(int code, String out, String err) {
    static CliRun of(String... args) {
        return of(new CommandLine(new Main()), args);
    }

    static CliRun of(List<String> args) {
        return of(args.toArray(String[]::new));
    }

    /**
     * {@code run} with {@code first} (--config FILE comes first: see ConfigFile), then a dry run of the
     * userspace monitor with its state, socket and store in {@code dir}.
     */
    static CliRun dryRun(Path dir, String... first) {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(List.of(first));
        args.addAll(List.of("--userspace", "--dry-run", "--topology", "0", "--state-dir", dir.resolve("state").toString(),
                "--socket", dir.resolve("control.sock").toString(), "--data-dir", dir.resolve("data").toString()));
        return of(args);
    }

    /** Fails the test unless the command exited with {@code code} and printed exactly one error line; returns it. */
    String oneErrorLine(int expected) {
        assertEquals(expected, code, err);
        assertEquals(1, err.lines().count(), err);
        return err.strip();
    }

    /** With a command line set up by the test (a stand-in subcommand, say). */
    static CliRun of(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(cli, args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }
}
