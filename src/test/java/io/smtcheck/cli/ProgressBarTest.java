// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void redrawsInPlaceOnlyWhenACellFillsAndErasesItself() {
        StringWriter out = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(out), "oracle", 60, true);
        bar.update(1);
        bar.update(2); // one cell is two jobs: drawn
        bar.update(3); // same cell: not drawn again
        assertEquals("\roracle    [" + " ".repeat(30) + "] 1/60 jobs\roracle    [#" + " ".repeat(29) + "] 2/60 jobs",
                out.toString());
        bar.clear();
        assertTrue(out.toString().endsWith("\r" + " ".repeat(68) + "\r"));
    }

    @Test
    void drawsNothingOffATerminal() {
        StringWriter out = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(out), "linux", 10, false);
        bar.update(5);
        bar.clear();
        assertEquals("", out.toString());
    }
}
