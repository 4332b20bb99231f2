// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;

/**
 * The C library calls the kernel bindings make. Every call goes through {@link #call}, which turns
 * errno into a {@link KernelCallException} naming the call: the one place where that happens.
 */
final class Libc {
    // Constants for Linux on x86-64 and arm64 (the same values on both but for the system call);
    // errno values are in io.smtcheck.os.Errno.
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;
    static final int PROT_READ = 1;
    static final int MAP_SHARED = 1;
    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVTIMEO = 20;
    static final int NETLINK_USERSOCK = 2;
    /** perf_event_open's number on this machine: x86-64 has its own table, arm64 the generic one. */
    static final long SYS_PERF_EVENT_OPEN = perfEventOpenNumber(System.getProperty("os.arch"));
    static final Pointer MAP_FAILED = new Pointer(-1);

    /** -1 (the call then fails with ENOSYS, which says why) on an architecture not listed. */
    static long perfEventOpenNumber(String arch) {
        return switch (arch) {
            case "amd64", "x86_64" -> 298;
            case "aarch64" -> 241;
            default -> -1;
        };
    }

    interface C extends Library {
        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int ioctl(int fd, long request, Structure arg) throws LastErrorException;

        int ioctl(int fd, long request, IntByReference arg) throws LastErrorException;

        Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

        int munmap(Pointer addr, long length) throws LastErrorException;

        int socket(int domain, int type, int protocol) throws LastErrorException;

        int bind(int fd, Structure addr, int len) throws LastErrorException;

        int getsockname(int fd, Structure addr, IntByReference len) throws LastErrorException;

        int setsockopt(int fd, int level, int name, Structure value, int len) throws LastErrorException;

        long sendto(int fd, Pointer buf, long len, int flags, Structure addr, int addrLen) throws LastErrorException;

        long recvfrom(int fd, Pointer buf, long len, int flags, Structure addr, IntByReference addrLen)
                throws LastErrorException;

        int getpid();

        long syscall(long number, Pointer attr, int pid, int cpu, int groupFd, long flags) throws LastErrorException;

        long read(int fd, Pointer buf, long count) throws LastErrorException;
    }

    static final C C = Native.load("c", C.class);

    private Libc() {
    }

    @FunctionalInterface
    interface Call<T> {
        T run() throws LastErrorException;
    }

    /** Runs a libc call; errno becomes a KernelCallException naming {@code what}. */
    static <T> T call(String what, Call<T> body) {
        try {
            return body.run();
        } catch (LastErrorException e) {
            throw new KernelCallException(what, e.getErrorCode());
        }
    }

    /** Closes a descriptor, ignoring errors: for cleanup paths. */
    static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                call("close", () -> C.close(fd));
            } catch (KernelCallException ignored) {
                // nothing useful to do on cleanup
            }
        }
    }
}
