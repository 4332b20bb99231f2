// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;

/**
 * Counts a store's failures and logs them without flooding: at most one line about failures per
 * {@link #LOG_INTERVAL}, the first by the caller (it knows what to say about it), the later ones
 * here with how many there were since; and one line when a store whose failure was logged works
 * again. A store that fails on every call, or that fails and recovers over and over (a full disk:
 * reads work, writes fail), would otherwise write a line, or a stack trace, per call.
 * Thread-safe.
 */
final class StoreErrors {
    static final Duration LOG_INTERVAL = Duration.ofMinutes(1);

    private final Logger log;
    private final String where;
    private final Clock clock;
    private long errors;
    private Instant failingSince;
    private String lastError;
    private Instant lastLogged;
    private long unlogged;
    private boolean announced;

    StoreErrors(Logger log, String where, Clock clock) {
        this.log = log;
        this.where = where;
        this.clock = clock;
    }

    /** Counts a failure; true when the caller is to log it now (nothing was logged for a while). */
    synchronized boolean failed(String what, Throwable e) {
        Instant now = clock.instant();
        errors++;
        lastError = "cannot " + what + ": " + ReopeningBackend.oneLine(e);
        if (failingSince == null) {
            failingSince = now;
        }
        if (lastLogged != null && Duration.between(lastLogged, now).compareTo(LOG_INTERVAL) < 0) {
            unlogged++;
            return false;
        }
        announced = true;
        if (unlogged == 0) {
            lastLogged = now;
            return true;
        }
        log.warn("the profile store at {} failed {} more times in the last {} s ({} errors since start), last: {}",
                where, unlogged + 1, Duration.between(lastLogged, now).toSeconds(), errors, lastError);
        lastLogged = now;
        unlogged = 0;
        return false;
    }

    synchronized void succeeded() {
        if (failingSince == null) {
            return;
        }
        if (announced) {
            log.info("the profile store at {} works again, after failing since {} ({} errors since start)", where,
                    failingSince, errors);
            announced = false;
        }
        failingSince = null;
    }

    synchronized StoreHealth health() {
        return new StoreHealth(failingSince == null, failingSince, lastError, errors);
    }
}
