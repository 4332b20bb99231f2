// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.regex.Pattern;

/**
 * A shared core resource the model knows, such as {@code l1d_capacity} or {@code mem_bw}.
 *
 * @param name lower-case letters, digits and {@code _ . -}, 1 to 64 characters
 * @param type how contention for it is activated; fixed for the names {@link Catalogue} knows
 */
public record Resource(String name, ResourceType type) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");

    public Resource {
        checkName(name);
        if (type == null) {
            throw new InvalidDataException("resource '" + name + "' has no type");
        }
        Catalogue.check(name, type);
    }

    /** @throws InvalidDataException when {@code name} is not a valid resource name */
    public static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidDataException("resource name '" + name
                    + "' is invalid (lower-case letters, digits, '_', '.', '-'; at most 64)");
        }
    }
}
