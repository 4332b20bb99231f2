// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.util.List;

/**
 * Which pair a group's window can be attributed to (docs/learning.md). A group of k workers, one on
 * each of its CPUs, is counted as one: its progress against its rate alone is the mean, over its
 * workers, of each worker's speed relative to alone. A worker whose sibling CPU is idle contributes
 * 1; one beside a worker of its own group contributes the group's slowdown beside itself; one
 * beside another group, that pair's slowdown. Only when a single partner remains (another group,
 * or the group itself) is that mean one pair's slowdown, solved for below; beside two partners or
 * more the window is ambiguous.
 *
 * @param workers the group's workers, one per CPU
 * @param alone   those whose sibling CPU is idle (or that have none)
 * @param partner the one group beside the others (the group's own pgid for a pair with itself),
 *                {@link #ALONE} when all are alone, {@link #AMBIGUOUS} beside more than one
 * @param beside  the workers beside {@code partner}: {@code workers − alone}
 */
record Attribution(int workers, int alone, int partner, int beside) {
    static final int ALONE = -1;
    static final int AMBIGUOUS = -2;

    /**
     * The attribution of a group on {@code cpus}, where {@code siblings} holds, for each of them in
     * order, the group on its sibling CPU (itself where both CPUs of a core are its own) or
     * {@link #ALONE}.
     */
    static Attribution of(List<Integer> siblings) {
        int alone = 0;
        int partner = ALONE;
        for (int s : siblings) {
            if (s == ALONE) {
                alone++;
            } else if (partner == ALONE) {
                partner = s;
            } else if (partner != s) {
                partner = AMBIGUOUS;
            }
        }
        return new Attribution(siblings.size(), alone, partner, siblings.size() - alone);
    }

    boolean attributable() {
        return partner >= 0;
    }

    /**
     * The slowdown beside {@link #partner} that a mean relative {@code speed} gives:
     * {@code speed = (alone + beside × (1 − slowdown)) / workers}, solved for the slowdown.
     */
    double slowdown(double speed) {
        if (!attributable()) {
            throw new IllegalStateException("a window beside " + (partner == ALONE ? "no partner" : "several partners")
                    + " is no pair's");
        }
        return 1 - (workers * speed - alone) / beside;
    }
}
