// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import picocli.CommandLine.Option;

/** {@code --json}, for every command that can print its result as JSON (the command's help gives the form). */
final class JsonOption {
    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;
}
