// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.os;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SystemCallExceptionTest {
    @Test
    void namesTheCallAndTheErrnoBothWays() {
        SystemCallException e = new SystemCallException("ioctl(/dev/runtime_monitor, ADD_PGID)", Errno.EPERM);
        assertEquals("ioctl(/dev/runtime_monitor, ADD_PGID)", e.call());
        assertEquals(Errno.EPERM, e.errno());
        assertEquals("EPERM", e.errnoName());
        assertEquals("Operation not permitted", e.reason());
        assertEquals("ioctl(/dev/runtime_monitor, ADD_PGID): Operation not permitted", e.getMessage());
    }

    @Test
    void theNumbersAreLinuxs() {
        assertEquals("No space left on device", new SystemCallException("write", Errno.ENOSPC).reason());
        assertEquals("Permission denied", new SystemCallException("open", Errno.EACCES).reason());
        assertEquals("Invalid argument", new SystemCallException("sched_setaffinity", Errno.EINVAL).reason());
        assertEquals("Connection timed out", new SystemCallException("recvfrom", Errno.ETIMEDOUT).reason());
        assertEquals("No such process", new SystemCallException("kill", Errno.ESRCH).reason());
        assertEquals("File exists", new SystemCallException("register", Errno.EEXIST).reason());
    }

    @Test
    void anErrnoWithoutANameHereIsShownByNumber() {
        assertEquals("errno 133", Errno.name(133));
    }
}
