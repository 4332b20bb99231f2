// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.os;

/**
 * A system call made by the native library failed; the message names the call, for example
 * {@code sched_setaffinity(tid 42 of pid 40)}, and the error.
 */
public class NativeCallException extends SystemCallException {
    private static final long serialVersionUID = 1L;

    public NativeCallException(String call, int errno) {
        super(call, errno);
    }
}
