// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

/** A system call on a kernel interface failed; the message names the call and the error. */
public class KernelCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public KernelCallException(String call, int errno) {
        super(call + ": " + Libc.strerror(errno));
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
