// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
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

    /** With a command line set up by the test (a stand-in subcommand, say). */
    static CliRun of(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(cli, args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }
}
