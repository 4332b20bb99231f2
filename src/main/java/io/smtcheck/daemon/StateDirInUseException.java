// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

/** Another daemon holds the state directory; the message names its pid. */
public final class StateDirInUseException extends RuntimeException {
    StateDirInUseException(String message) {
        super(message);
    }
}
