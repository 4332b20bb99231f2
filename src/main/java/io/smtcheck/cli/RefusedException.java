// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

/** The command will not do what it was asked to, and says why (exit 5). */
final class RefusedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RefusedException(String message) {
        super(message);
    }
}
