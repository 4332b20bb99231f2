// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

/** A write to a store that smtcheck only reads: the original SMTcheck's. */
public final class StoreReadOnlyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreReadOnlyException(String where, String what) {
        super("the original SMTcheck's store at " + where + " is read by smtcheck, never written: cannot " + what
                + " (use a store of smtcheck's own, e.g. after 'profiles export' and 'profiles import')");
    }
}
