// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import com.sun.jna.Memory;
import io.smtcheck.os.Errno;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Per process group counters from perf_event_open, for machines without IPC_monitor: hardware
 * cycles and instructions where the CPU exposes them, otherwise each task's on-CPU time (the
 * software task clock, in nanoseconds, reported as cycles with no instructions: IPC_monitor's
 * software mode). One counter per task, opened with {@code inherit} so that threads and children
 * the task creates afterwards are counted in it; a group's value is the sum over its tasks.
 */
public final class GroupCounters implements AutoCloseable {
    public enum Mode { HARDWARE, SOFTWARE }

    /** Cumulative values of a group; in software mode {@code cycles} holds on-CPU nanoseconds. */
    public record Values(long cycles, long instructions) {
    }

    private static final int PERF_TYPE_HARDWARE = 0;
    private static final int PERF_TYPE_SOFTWARE = 1;
    private static final long PERF_COUNT_HW_CPU_CYCLES = 0;
    private static final long PERF_COUNT_HW_INSTRUCTIONS = 1;
    private static final long PERF_COUNT_SW_TASK_CLOCK = 1;
    private static final int ATTR_SIZE = 64; // PERF_ATTR_SIZE_VER0: accepted by every kernel
    private static final long INHERIT = 1L << 1;
    private static final long EXCLUDE_HV = 1L << 6;
    private static final long PERF_FLAG_FD_CLOEXEC = 8;

    private final Mode mode;
    /** Per group, per task: the open descriptors (cycles or clock first, then instructions). */
    private final Map<Integer, Map<Integer, int[]>> groups = new HashMap<>();
    /** What a reset subtracts: the values each group had when the counters were last reset. */
    private final Map<Integer, Values> baseline = new HashMap<>();
    private boolean closed;

    private GroupCounters(Mode mode) {
        this.mode = mode;
    }

    /**
     * Counters in the best mode this machine offers, tried on this process itself.
     *
     * @throws KernelCallException naming the call when even the software clock cannot be opened
     */
    public static GroupCounters open() {
        int self = (int) ProcessHandle.current().pid();
        try {
            int fd = perfOpen(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, self);
            Libc.closeQuietly(fd);
            return new GroupCounters(Mode.HARDWARE);
        } catch (KernelCallException e) {
            int fd = perfOpen(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, self);
            Libc.closeQuietly(fd);
            return new GroupCounters(Mode.SOFTWARE);
        }
    }

    public Mode mode() {
        return mode;
    }

    private static int perfOpen(int type, long config, int tid) {
        Memory attr = new Memory(ATTR_SIZE);
        attr.clear();
        attr.setInt(0, type);
        attr.setInt(4, ATTR_SIZE);
        attr.setLong(8, config);
        attr.setLong(40, INHERIT | EXCLUDE_HV);
        long fd = Libc.call("perf_event_open(type " + type + ", config " + config + ", tid " + tid + ")",
                () -> Libc.C.syscall(Libc.SYS_PERF_EVENT_OPEN, attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC));
        return (int) fd;
    }

    /**
     * Starts counting the tasks of a group it does not count yet. Tasks that exit meanwhile are
     * skipped; returns how many tasks of the group are counted.
     */
    public synchronized int track(int pgid, List<Integer> tids) {
        if (closed) {
            throw new IllegalStateException("the counters are closed");
        }
        Map<Integer, int[]> tasks = groups.computeIfAbsent(pgid, k -> new HashMap<>());
        for (int tid : tids) {
            if (tasks.containsKey(tid)) {
                continue;
            }
            try {
                tasks.put(tid, mode == Mode.HARDWARE
                        ? new int[] {perfOpen(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, tid),
                            perfOpen(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, tid)}
                        : new int[] {perfOpen(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, tid)});
            } catch (KernelCallException e) {
                if (e.errno() != Errno.ESRCH) {
                    throw e;
                }
            }
        }
        return tasks.size();
    }

    /** The group's values since it was first tracked or last reset, or null when it is not tracked. */
    public synchronized Values read(int pgid) {
        Values raw = raw(pgid);
        Values base = baseline.get(pgid);
        return raw == null || base == null ? raw
                : new Values(raw.cycles() - base.cycles(), raw.instructions() - base.instructions());
    }

    /** Zeroes every group's values (they count on from here). */
    public synchronized void reset() {
        for (int pgid : groups.keySet()) {
            baseline.put(pgid, raw(pgid));
        }
    }

    private Values raw(int pgid) {
        Map<Integer, int[]> tasks = groups.get(pgid);
        if (tasks == null) {
            return null;
        }
        Memory buf = new Memory(8);
        long cycles = 0;
        long instructions = 0;
        for (int[] fds : tasks.values()) {
            cycles += value(fds[0], buf);
            if (fds.length > 1) {
                instructions += value(fds[1], buf);
            }
        }
        return new Values(cycles, instructions);
    }

    private static long value(int fd, Memory buf) {
        try {
            return Libc.call("read(perf event)", () -> Libc.C.read(fd, buf, 8)) == 8 ? buf.getLong(0) : 0;
        } catch (KernelCallException e) {
            return 0;
        }
    }

    /** Stops counting a group and closes its descriptors. */
    public synchronized void forget(int pgid) {
        baseline.remove(pgid);
        Map<Integer, int[]> tasks = groups.remove(pgid);
        if (tasks != null) {
            tasks.values().forEach(GroupCounters::closeAll);
        }
    }

    /** Groups being counted. */
    public synchronized List<Integer> groups() {
        return new ArrayList<>(groups.keySet());
    }

    private static void closeAll(int[] fds) {
        for (int fd : fds) {
            Libc.closeQuietly(fd);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            groups.values().forEach(t -> t.values().forEach(GroupCounters::closeAll));
            groups.clear();
        }
    }
}
