// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.time.Instant;

/**
 * When and from what a model was trained, and how well it fits data it was not trained on.
 *
 * @param at             when the fit ran
 * @param from           where the co-run samples came from, in words (a file, a database, a generator)
 * @param samples        co-run samples used for the fit (each gives two rows, one per side)
 * @param heldOutSamples co-run samples kept aside to measure the fit
 * @param ridge          the ridge (L2) regularisation strength λ the fit used
 * @param r2             coefficient of determination on the held-out rows
 * @param mae            mean absolute error of the predicted slowdown on the held-out rows
 */
public record Training(Instant at, String from, int samples, int heldOutSamples, double ridge, double r2, double mae) {
    public Training {
        if (at == null) {
            throw new InvalidDataException("trained.at: missing");
        }
        if (from == null || from.isBlank()) {
            throw new InvalidDataException("trained.from: missing");
        }
        if (samples < 0 || heldOutSamples < 0) {
            throw new InvalidDataException("trained.samples: must not be negative");
        }
        if (!Double.isFinite(ridge) || ridge < 0) {
            throw new InvalidDataException("trained.ridge: " + ridge + " is not a finite number >= 0");
        }
        // r2 may be NaN when there was nothing to hold out; mae likewise.
        if (Double.isInfinite(r2) || Double.isInfinite(mae)) {
            throw new InvalidDataException("trained.r2/mae: infinite");
        }
    }
}
