// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import io.smtcheck.os.SystemCallException;

/** A system call on a kernel interface failed; the message names the call and the error. */
public class KernelCallException extends SystemCallException {
    private static final long serialVersionUID = 1L;

    public KernelCallException(String call, int errno) {
        super(call, errno);
    }
}
