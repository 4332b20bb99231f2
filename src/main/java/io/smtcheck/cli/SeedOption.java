// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import picocli.CommandLine.Option;

/** {@code --seed}, for every command whose choice is a seeded shuffle: the same seed, the same choice. */
final class SeedOption {
    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seeds the shuffle that makes the command's choice. Default: ${DEFAULT-VALUE}.")
    long seed;
}
