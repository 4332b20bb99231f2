// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.io.PrintWriter;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows how far a long measurement has come: a bar redrawn in place on a terminal, with what is
 * being measured and the time left; a log line per step otherwise. Time left is the mean time of
 * the steps measured so far in this run times the steps left, so it firms up as the run goes.
 */
public final class Progress {
    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);
    private static final int WIDTH = 24;

    private final PrintWriter terminal;
    private final String title;
    private int total;
    private int done;
    private int measured;
    private long measuringNanos;
    private long stepStarted;
    private String current = "";

    /**
     * @param terminal where to draw the bar, or null to log instead
     * @param title    what is being measured, e.g. "profile of job 12"
     */
    public Progress(PrintWriter terminal, String title) {
        this.terminal = terminal;
        this.title = title;
    }

    /** A bar on standard error when this is an interactive terminal, log lines otherwise. */
    public static Progress forConsole(PrintWriter err, String title) {
        return new Progress(System.console() != null ? err : null, title);
    }

    /** Adds steps to do. */
    void plan(int steps) {
        total += steps;
        draw();
    }

    /** A step that was measured before (resumed) counts as done at once. */
    void skipped(int steps) {
        done += steps;
        draw();
    }

    void begin(String what) {
        current = what;
        stepStarted = System.nanoTime();
        draw();
    }

    /** Ends the current step; {@code result} (may be empty) is logged. */
    void end(String result) {
        done++;
        measured++;
        measuringNanos += System.nanoTime() - stepStarted;
        if (terminal == null) {
            LOG.info("{} [{}/{}] {}{}{}", title, done, total, current, result.isEmpty() ? "" : ": " + result, left());
        }
        draw();
    }

    /** Clears the bar (a terminal's line is then free for the results). */
    public void finish() {
        if (terminal != null) {
            terminal.print("\r\033[K");
            terminal.flush();
        }
    }

    /** Says, when the JVM is stopped mid-run, that what was measured is kept. */
    void interrupted() {
        finish();
        // The logging system may already be shut down: plain standard error.
        System.err.printf(Locale.ROOT, "%s: interrupted after %d of %d steps; what was measured is kept,"
                + " and the same command resumes from there%n", title, done, total);
        System.err.flush();
    }

    private String left() {
        if (measured == 0 || done >= total) {
            return "";
        }
        long seconds = Math.round(measuringNanos / 1e9 / measured * (total - done));
        return String.format(Locale.ROOT, " (about %s left)", duration(seconds));
    }

    public static String duration(long seconds) {
        return seconds >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60)
                : seconds >= 60 ? String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60) : seconds + "s";
    }

    private void draw() {
        if (terminal == null || total == 0) {
            return;
        }
        int filled = (int) ((long) WIDTH * done / total);
        String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
        terminal.print(String.format(Locale.ROOT, "\r\033[K%s [%s] %d/%d %s%s", title, bar, done, total, current, left()));
        terminal.flush();
    }
}
