// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import java.util.List;
import java.util.Objects;

/**
 * Where a managed group should run and where it runs: the one record of both. The daemon's plan
 * is the set of wanted pins of its groups (see {@link DaemonState#placement()}).
 *
 * @param wanted  the CPUs the plan gives the group; null when the plan leaves it its original affinity
 * @param applied the CPUs the daemon's pins have really put it on; null while it has its original
 *                affinity. It differs from {@code wanted} while a pin has failed and waits to be tried again.
 */
record Pin(List<Integer> wanted, List<Integer> applied) {
    /** Neither planned nor pinned. */
    static final Pin ORIGINAL = new Pin(null, null);

    Pin {
        wanted = wanted == null ? null : List.copyOf(wanted);
        applied = applied == null ? null : List.copyOf(applied);
    }

    /** Whether the group is not yet where the plan wants it. */
    boolean pending() {
        return !Objects.equals(wanted, applied);
    }

    Pin wanting(List<Integer> cpus) {
        return new Pin(cpus, applied);
    }

    /** The wanted pin, applied. */
    Pin done() {
        return new Pin(wanted, wanted);
    }

    Pin appliedAt(List<Integer> cpus) {
        return new Pin(wanted, cpus);
    }
}
