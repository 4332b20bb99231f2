// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

/** A system call made by the native library failed; the message names the call and the error. */
public class NativeCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public NativeCallException(String call, int errno, String message) {
        super(message);
        this.call = call;
        this.errno = errno;
    }

    /** The failing call with its arguments, for example {@code sched_setaffinity(tid 42 of pid 40)}. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
