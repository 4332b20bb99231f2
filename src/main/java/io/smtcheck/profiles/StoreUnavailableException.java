// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

/** MongoDB could not be reached within the retries allowed; the message names the server and what was tried. */
public class StoreUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
