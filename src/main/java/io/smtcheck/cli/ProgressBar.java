// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on a terminal, redrawn in place with a carriage return; off (draws
 * nothing) when the output is not a terminal, so that logs and pipes get no control characters.
 */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private final int total;
    private final boolean on;
    private int drawn = -1;

    ProgressBar(PrintWriter err, String label, int total, boolean on) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.on = on;
    }

    /** Redraws the bar when {@code done} moves it by at least one cell. */
    void update(int done) {
        int cells = (int) ((long) done * WIDTH / total);
        if (!on || cells == drawn) {
            return;
        }
        drawn = cells;
        err.printf(Locale.ROOT, "\r%-9s [%s%s] %d/%d jobs", label, "#".repeat(cells), " ".repeat(WIDTH - cells), done,
                total);
        err.flush();
    }

    /** Erases the bar. */
    void clear() {
        if (on && drawn >= 0) {
            err.print("\r" + " ".repeat(WIDTH + label.length() + 32) + "\r");
            err.flush();
        }
    }
}
