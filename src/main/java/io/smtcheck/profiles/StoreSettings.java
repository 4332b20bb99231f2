// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import java.time.Duration;

/**
 * How patiently {@link MongoGateway} talks to MongoDB.
 *
 * @param timeout         how long one attempt waits to reach a server (server selection and connect)
 * @param firstBackoff    the pause after the first failure; it doubles after each further failure
 * @param maxBackoff      the longest pause
 * @param attempts        how many attempts an operation that must succeed (import, export, train)
 *                        makes before it fails
 * @param refreshInterval how often the daemon reads every profile again (each read is a query of every
 *                        profile)
 */
public record StoreSettings(Duration timeout, Duration firstBackoff, Duration maxBackoff, int attempts,
        Duration refreshInterval) {
    /** 2 s per attempt, backoff 0.5 s doubling to 30 s, 3 attempts, profiles read again every 10 s. */
    public static final StoreSettings DEFAULT = new StoreSettings(Duration.ofSeconds(2), Duration.ofMillis(500),
            Duration.ofSeconds(30), 3, Duration.ofSeconds(10));

    public StoreSettings {
        if (timeout.isNegative() || timeout.isZero() || firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0
                || attempts < 1 || refreshInterval.isNegative()) {
            throw new IllegalArgumentException("invalid store settings " + timeout + ", " + firstBackoff + ", "
                    + maxBackoff + ", " + attempts + ", " + refreshInterval);
        }
    }

    /** The pause after one more failure: {@code pause} doubled, at most {@link #maxBackoff()}. */
    public Duration nextBackoff(Duration pause) {
        return nextBackoff(pause, maxBackoff);
    }

    /** The pause after one more failure: {@code pause} doubled, at most {@code max}. */
    public static Duration nextBackoff(Duration pause, Duration max) {
        Duration doubled = pause.multipliedBy(2);
        return doubled.compareTo(max) > 0 ? max : doubled;
    }
}
