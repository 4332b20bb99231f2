// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * How to recognise a profiled workload's processes, for processes that were not registered with
 * a job id by their launcher. A process matches when every rule given holds:
 * <ul>
 *   <li>{@code comm}: equals the process's command name exactly ({@code /proc/PID/comm}, which the
 *       kernel truncates to 15 bytes; longer values could never match and are rejected);</li>
 *   <li>{@code cmdline}: a Java regular expression found ({@link java.util.regex.Matcher#find()})
 *       in the command line, its arguments joined by single spaces ({@code /proc/PID/cmdline}
 *       with NULs turned into spaces). Anchor it with {@code ^...$} to match the whole line.</li>
 * </ul>
 * At least one rule is required.
 *
 * @param comm    exact command name, or null
 * @param cmdline regular expression over the command line, or null
 */
public record ProcessMatch(String comm, String cmdline) {
    /** The longest command name the kernel keeps (TASK_COMM_LEN - 1). */
    public static final int COMM_MAX = 15;
    /** Only this much of a command line is searched, bounding the cost of one match. */
    public static final int CMDLINE_MAX = 4096;

    public ProcessMatch {
        if (comm == null && cmdline == null) {
            throw new InvalidDataException("match: needs \"comm\", \"cmdline\" or both");
        }
        if (comm != null && (comm.isEmpty() || comm.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > COMM_MAX)) {
            throw new InvalidDataException("match.comm: '" + comm + "' must be 1 to " + COMM_MAX
                    + " bytes (the kernel's command name length)");
        }
        if (cmdline != null) {
            try {
                Pattern.compile(cmdline);
            } catch (PatternSyntaxException e) {
                throw new InvalidDataException("match.cmdline: not a valid regular expression: "
                        + e.getDescription() + " near index " + e.getIndex());
            }
        }
    }

    /** Cached compiled pattern; records cannot hold extra state, so compile lazily per call site. */
    private Pattern pattern() {
        return PATTERNS.computeIfAbsent(cmdline, Pattern::compile);
    }

    private static final java.util.Map<String, Pattern> PATTERNS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Whether a process with this command name and command line matches.
     *
     * @param processComm    {@code /proc/PID/comm} without the trailing newline
     * @param processCmdline the arguments joined by single spaces (may be empty for kernel threads)
     * @throws InvalidDataException when the expression cannot be evaluated on this command line at a
     *         bounded cost (it backtracks too much or recurses too deeply): a valid expression can
     *         still be unusable on some inputs, and one such rule must not stall the caller
     */
    public boolean matches(String processComm, String processCmdline) {
        if (comm != null && !comm.equals(processComm)) {
            return false;
        }
        if (cmdline != null) {
            String line = processCmdline == null ? "" : processCmdline;
            if (line.length() > CMDLINE_MAX) {
                line = line.substring(0, CMDLINE_MAX);
            }
            try {
                return pattern().matcher(new Bounded(line)).find();
            } catch (StackOverflowError e) {
                throw new InvalidDataException("match.cmdline: the expression recurses too deeply on a command line of "
                        + line.length() + " characters");
            }
        }
        return true;
    }

    /** How many characters one match may read, backtracking included: far above what any sane expression needs. */
    static final int READS_MAX = 2_000_000;

    /** A command line that gives up once the matcher has read it {@link #READS_MAX} times over. */
    private static final class Bounded implements CharSequence {
        private final String text;
        private int reads;

        Bounded(String text) {
            this.text = text;
        }

        @Override
        public char charAt(int index) {
            if (++reads > READS_MAX) {
                throw new InvalidDataException("match.cmdline: the expression backtracks too much (over " + READS_MAX
                        + " steps) on a command line of " + text.length() + " characters");
            }
            return text.charAt(index);
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.substring(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
