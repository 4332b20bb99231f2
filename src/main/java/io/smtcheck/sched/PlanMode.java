// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

/** How pairs are chosen. The codes are those of the native library. */
public enum PlanMode {
    /** Exact on small problems, the heuristic on the rest. */
    AUTO(0),
    /** Greedy selection improved by local search (2-opt swaps and alternating cycles). */
    GREEDY(1),
    /** Maximum-weight perfect matching: the optimum. */
    EXACT(2);

    private final int code;

    PlanMode(int code) {
        this.code = code;
    }

    int code() {
        return code;
    }

    static PlanMode ofCode(int code) {
        for (PlanMode m : values()) {
            if (m.code == code) {
                return m;
            }
        }
        throw new IllegalStateException("unknown plan mode code " + code);
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
