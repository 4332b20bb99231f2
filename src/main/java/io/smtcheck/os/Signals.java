// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.os;

/** The signal numbers the code sends (Linux, asm-generic/signal.h). */
public final class Signals {
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;

    private Signals() {
    }
}
