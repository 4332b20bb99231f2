// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

/** An input file that cannot be used; the message names the file and the reason. */
final class InputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InputException(String message) {
        super(message);
    }
}
