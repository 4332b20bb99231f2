// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Process exit codes shared by every subcommand; listed in each command's --help. */
public final class ExitCodes {
    public static final int OK = 0;
    /** An input file or value is invalid (the message says which and why). */
    public static final int BAD_INPUT = 1;
    /** The command line itself is wrong (unknown option, missing argument, an option value malformed or out of range). */
    public static final int USAGE = 2;
    /** The system refused: a failed system call, a missing library. */
    public static final int FAILURE = 3;
    /** No daemon answers on the control socket. */
    public static final int NOT_RUNNING = 4;
    /**
     * The daemon answered with an error (for example: permission denied), this user may not use its
     * control socket, a measurement would use CPUs the daemon manages, another daemon already runs
     * with the same state directory or the metrics port is in use, or the profile store is not open to this user.
     */
    public static final int REFUSED = 5;

    /** The list shown under "Exit codes" in every command's --help. */
    static final Map<String, String> HELP = help();

    private static Map<String, String> help() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(Integer.toString(OK), "Success.");
        m.put(Integer.toString(BAD_INPUT), "Invalid input (file, matrix, topology): the reason is printed on one line.");
        m.put(Integer.toString(USAGE), "Invalid command line, or an option value that is malformed or out of range.");
        m.put(Integer.toString(FAILURE), "System failure (a failed system call or a missing native library).");
        m.put(Integer.toString(NOT_RUNNING), "The daemon is not running (status, reset).");
        m.put(Integer.toString(REFUSED), "The daemon refused the request (status, reset), this user may not use its"
                + " control socket, profile/corun would use CPUs the daemon manages, run found another daemon"
                + " using its state directory or its metrics port in use, or the profile store belongs to another user; the reason is printed.");
        return Collections.unmodifiableMap(m);
    }

    private ExitCodes() {
    }
}
