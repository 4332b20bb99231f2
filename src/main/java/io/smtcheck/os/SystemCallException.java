// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.os;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * A system call failed: the call, with what it was called on, and the errno. The message is the
 * call and the system's words for the error, as {@code perror} prints them, for example
 * {@code sched_setaffinity(tid 42 of pid 40): Operation not permitted}.
 */
public class SystemCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public SystemCallException(String call, int errno) {
        super(call + ": " + strerror(errno));
        this.call = call;
        this.errno = errno;
    }

    /** The failing call with its arguments, for example {@code open(/dev/runtime_monitor)}. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    /** The errno's symbolic name, such as {@code EPERM}. */
    public String errnoName() {
        return Errno.name(errno);
    }

    /** The system's words for the errno, such as {@code Operation not permitted}. */
    public String reason() {
        return strerror(errno);
    }

    private static String strerror(int errno) {
        return Strerror.C.strerror(errno);
    }

    private interface Strerror extends Library {
        Strerror C = Native.load("c", Strerror.class);

        String strerror(int errnum);
    }
}
