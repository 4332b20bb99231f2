// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import com.sun.jna.ptr.IntByReference;

/** /dev/runtime_monitor: registering process groups and steering the long-running detector. */
public final class RuntimeMonitorDevice implements AutoCloseable {
    private final String path;
    private final int fd;
    private boolean closed;

    private RuntimeMonitorDevice(String path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    public static RuntimeMonitorDevice open() {
        return open(Uapi.RUNTIME_MONITOR_DEVICE);
    }

    public static RuntimeMonitorDevice open(String path) {
        int fd = Libc.call("open(" + path + ")", () -> Libc.C.open(path, Libc.O_RDWR | Libc.O_CLOEXEC));
        return new RuntimeMonitorDevice(path, fd);
    }

    /** Registers a live process group: the kernel reports it once it has run past the threshold. */
    public void addGroup(int pgid, int jobId, int workers) {
        KernelStructs.RtmonAddPgidArgs a = new KernelStructs.RtmonAddPgidArgs();
        a.pgid = pgid;
        a.global_jobid = jobId;
        a.worker_num = workers;
        a.write();
        ioctl("RTMON_IOC_ADD_PGID, pgid " + pgid, Uapi.RTMON_IOC_ADD_PGID, a);
    }

    public void removeGroup(int pgid) {
        ioctl("RTMON_IOC_REMOVE_PGID, pgid " + pgid, Uapi.RTMON_IOC_REMOVE_PGID, pgidArgs(pgid));
    }

    /** Asks for the group to be reported now, whatever the threshold. */
    public void requestProfile(int pgid) {
        ioctl("RTMON_IOC_REQUEST_PROFILE, pgid " + pgid, Uapi.RTMON_IOC_REQUEST_PROFILE, pgidArgs(pgid));
    }

    public void setThreshold(int seconds) {
        ioctlInt("RTMON_IOC_SET_THRESHOLD, " + seconds + " s", Uapi.RTMON_IOC_SET_THRESHOLD, seconds);
    }

    /**
     * Names the only process that may register as the data loader (0: any with CAP_PERFMON); an
     * administrator's lock, which needs CAP_SYS_ADMIN. The daemon registers over netlink instead.
     */
    public void setDataLoaderPid(int pid) {
        ioctlInt("RTMON_IOC_SET_DATA_LOADER_PID, " + pid, Uapi.RTMON_IOC_SET_DATA_LOADER_PID, pid);
    }

    private static KernelStructs.RtmonPgidArgs pgidArgs(int pgid) {
        KernelStructs.RtmonPgidArgs a = new KernelStructs.RtmonPgidArgs();
        a.pgid = pgid;
        a.write();
        return a;
    }

    private synchronized void ioctl(String what, int request, KernelStructs.Checked arg) {
        ensureOpen();
        Libc.call("ioctl(" + path + ", " + what + ")", () -> Libc.C.ioctl(fd, Integer.toUnsignedLong(request), arg));
    }

    private synchronized void ioctlInt(String what, int request, int value) {
        ensureOpen();
        IntByReference ref = new IntByReference(value);
        Libc.call("ioctl(" + path + ", " + what + ")", () -> Libc.C.ioctl(fd, Integer.toUnsignedLong(request), ref));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.closeQuietly(fd);
        }
    }
}
