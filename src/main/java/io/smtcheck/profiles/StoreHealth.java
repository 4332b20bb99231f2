// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import java.time.Instant;

/**
 * How the profile store fares.
 *
 * @param ok           whether the last operation succeeded
 * @param failingSince when the current run of failures began; null when ok
 * @param lastError    the last failure, one line; null when there has been none
 * @param errors       failed operations since start
 */
public record StoreHealth(boolean ok, Instant failingSince, String lastError, long errors) {
    public static final StoreHealth HEALTHY = new StoreHealth(true, null, null, 0);

    public StoreHealth {
        if (ok != (failingSince == null)) {
            throw new IllegalArgumentException("failingSince must be set exactly when the store is failing, not "
                    + failingSince + " with ok=" + ok);
        }
        if (errors < 0) {
            throw new IllegalArgumentException("errors must not be negative, not " + errors);
        }
    }

    /** One line for status: {@code ok}, or {@code failing since ... (N errors): ...}. */
    public String summary() {
        String count = errors + (errors == 1 ? " error" : " errors");
        if (ok) {
            return errors == 0 ? "ok" : "ok (" + count + " since start, last: " + lastError + ")";
        }
        return "failing since " + failingSince + " (" + count + " since start): " + lastError;
    }
}
