// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import java.util.Arrays;
import java.util.Locale;

/** Ways of placing the same load, compared against each other. */
public enum Policy {
    /** Linux's own placement, no pinning: idle cores first, siblings shared at random, re-drawn at each event. */
    LINUX("linux"),
    /** Each new thread pinned to a free hardware thread drawn at random; it stays there. */
    RANDOM("random"),
    /** smtcheck's re-planner on the model's predicted scores, with its minimum gain per move. */
    SMTCHECK("smtcheck"),
    /** The same planner on scores from the true slowdowns, re-planning freely at each event. */
    ORACLE("oracle"),
    /** SMT off: one thread per core, on the core's first hardware thread. */
    SMT_OFF("smt-off");

    private final String label;

    Policy(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** @throws IllegalArgumentException naming the policies there are */
    public static Policy ofLabel(String text) {
        for (Policy p : values()) {
            if (p.label.equals(text.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown policy '" + text + "': use "
                + String.join(", ", Arrays.stream(values()).map(Policy::label).toList()));
    }
}
