// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

/** /dev/IPC_monitor: what the module reports about itself, its slot table, and counter resets. */
public final class IpcMonitorDevice implements AutoCloseable {
    public enum CounterMode {
        /** {@code cycles} holds on-CPU nanoseconds and {@code instructions} is 0. */
        SOFTWARE,
        /** Hardware cycles and instructions retired. */
        HARDWARE
    }

    public record Info(int abiVersion, CounterMode mode, int slots, int tableSize, int mapSize, int flushIntervalMs) {
    }

    private final String path;
    private final int fd;
    private final Info info;
    private final SharedTable table;
    private boolean closed;

    private IpcMonitorDevice(String path, int fd, Info info, SharedTable table) {
        this.path = path;
        this.fd = fd;
        this.info = info;
        this.table = table;
    }

    public static IpcMonitorDevice open() {
        return open(Uapi.IPC_MONITOR_DEVICE);
    }

    /** Opens the device, checks its ABI version and maps its table read-only. */
    public static IpcMonitorDevice open(String path) {
        // Read-only: the daemon never writes the table, and a read-only file cannot be mapped writable.
        int fd = Libc.call("open(" + path + ")", () -> Libc.C.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC));
        try {
            KernelStructs.IpcmonInfo raw = new KernelStructs.IpcmonInfo();
            Libc.call("ioctl(" + path + ", IPCMON_IOC_GET_INFO)", () -> Libc.C.ioctl(fd, Integer.toUnsignedLong(Uapi.IPCMON_IOC_GET_INFO), raw));
            raw.read();
            if (raw.abi_version != Uapi.ABI_VERSION) {
                throw new IllegalStateException(path + " speaks ABI version " + raw.abi_version + ", this build "
                        + Uapi.ABI_VERSION);
            }
            Info info = new Info(raw.abi_version, raw.counter_mode == Uapi.MODE_HARDWARE ? CounterMode.HARDWARE
                    : CounterMode.SOFTWARE, raw.nr_slots, raw.table_size, raw.map_size, raw.flush_interval_ms);
            return new IpcMonitorDevice(path, fd, info, SharedTable.map(fd, raw.map_size, path));
        } catch (RuntimeException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
    }

    public Info info() {
        return info;
    }

    public SharedTable table() {
        return table;
    }

    /** Zeroes the counters of one slot. */
    public void reset(int slot) {
        ioctlReset(slot);
    }

    /** Zeroes every slot's counters (the original SMTcheck's {@code reset_counters()}). */
    public void resetAll() {
        ioctlReset(Uapi.RESET_ALL);
    }

    private synchronized void ioctlReset(int slot) {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
        KernelStructs.IpcmonResetArgs args = new KernelStructs.IpcmonResetArgs();
        args.slot = slot;
        args.write();
        Libc.call("ioctl(" + path + ", IPCMON_IOC_RESET, slot " + slot + ")",
                () -> Libc.C.ioctl(fd, Integer.toUnsignedLong(Uapi.IPCMON_IOC_RESET), args));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        table.close();
        Libc.closeQuietly(fd);
    }
}
