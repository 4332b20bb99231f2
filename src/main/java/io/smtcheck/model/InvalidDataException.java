// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

/**
 * Input data (a model file, a profile, a sample) that cannot be used. The message names where the
 * data came from and the field at fault, for example
 * {@code trained_model/prediction_model_20250101T000000Z.json: coefficients: 4 values for 3 features}.
 * It is an {@link IllegalArgumentException} so that commands report it as invalid input.
 */
public class InvalidDataException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidDataException(String message) {
        super(message);
    }

    /** The same problem, prefixed with where the data came from. */
    public InvalidDataException in(String source) {
        return new InvalidDataException(source + ": " + getMessage());
    }
}
