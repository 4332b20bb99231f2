// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import picocli.CommandLine.Option;

/** {@code -v}/{@code --verbose}, for every command that logs. */
final class VerboseOption {
    @Option(names = {"-v", "--verbose"}, description = "Log debug messages.")
    boolean verbose;
}
