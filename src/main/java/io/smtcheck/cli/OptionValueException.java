// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

/**
 * An option's value that parses but is out of range, found once the command runs: a command-line
 * error (exit 2) like a value of the wrong type, reported on one line; the message names the
 * option, or the configuration file and line that gave the value.
 */
final class OptionValueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OptionValueException(String message) {
        super(message);
    }
}
