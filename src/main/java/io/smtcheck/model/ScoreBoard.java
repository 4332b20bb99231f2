// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.List;
import java.util.Locale;

/**
 * The score matrix as a text table, like the original SMTcheck's {@code print_score_board()}: one row and one
 * column per workload, scores to three decimals, then the solo score and the unscored entries.
 */
public final class ScoreBoard {
    private static final int MAX_NAME = 16;

    private ScoreBoard() {
    }

    public static String format(ScoreTable table) {
        List<ScoreTable.Entry> entries = table.entries();
        List<String> ids = entries.stream().map(ScoreTable.Entry::key).toList();
        StringBuilder out = new StringBuilder(format(ids, table.matrix(), table.solo()));
        for (ScoreTable.Entry e : entries) {
            if (!e.scored()) {
                out.append("neutral ").append(String.format(Locale.ROOT, "%.3f", ScoreTable.NEUTRAL_SCORE))
                        .append(" for ").append(e.key()).append(": ").append(e.unscoredReason()).append('\n');
            }
        }
        return out.toString();
    }

    /** The table for any symmetric matrix, labelled with {@code ids}. */
    public static String format(List<String> ids, double[][] matrix, double solo) {
        int width = 6;
        for (String id : ids) {
            width = Math.max(width, Math.min(MAX_NAME, id.length()));
        }
        StringBuilder out = new StringBuilder();
        out.append(pad("", width));
        for (String id : ids) {
            out.append("  ").append(padLeft(cut(id), width));
        }
        out.append('\n');
        for (int i = 0; i < ids.size(); i++) {
            out.append(pad(cut(ids.get(i)), width));
            for (int j = 0; j < ids.size(); j++) {
                out.append("  ").append(padLeft(String.format(Locale.ROOT, "%.3f", matrix[i][j]), width));
            }
            out.append('\n');
        }
        out.append(String.format(Locale.ROOT, "solo (one thread, idle sibling): %.3f%n", solo));
        return out.toString();
    }

    private static String cut(String s) {
        return s.length() <= MAX_NAME ? s : s.substring(0, MAX_NAME - 1) + "~";
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    private static String padLeft(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }
}
