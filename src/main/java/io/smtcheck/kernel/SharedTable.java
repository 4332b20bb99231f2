// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import com.sun.jna.Pointer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A read-only mapping of IPC_monitor's slot table (struct ipc_shared), read with the seq protocol
 * so that no slot is ever seen half-written. The mapping is read through a direct ByteBuffer with
 * acquire loads, so a full read costs plain memory loads, not a native call per field. This class
 * owns the mapping; close() unmaps it once, and reads after close fail instead of touching freed
 * memory.
 */
public final class SharedTable implements AutoCloseable {
    /** A consistent copy of one active slot. */
    public record Slot(int index, int pgid, int jobId, int workers, long cycles, long instructions) {
    }

    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** A writer holds a slot odd for a few instructions; this many failed tries means it died. */
    private static final int MAX_TRIES = 10_000;

    private final Pointer mapping;
    private final long length;
    private final ByteBuffer table;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;
    private long tornSkips;

    private SharedTable(Pointer mapping, long length) {
        this.mapping = mapping;
        this.length = length;
        this.table = mapping.getByteBuffer(0, Uapi.SHARED_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Maps {@code length} bytes of {@code fd} (a device or, in tests, a file laid out the same way). */
    static SharedTable map(int fd, long length, String what) {
        if (length < Uapi.SHARED_SIZE) {
            throw new IllegalArgumentException(what + ": mapping of " + length + " bytes is smaller than the table ("
                    + Uapi.SHARED_SIZE + ")");
        }
        Pointer p = Libc.call("mmap(" + what + ", " + length + ", PROT_READ)",
                () -> Libc.C.mmap(null, length, Libc.PROT_READ, Libc.MAP_SHARED, fd, 0));
        if (Pointer.nativeValue(p) == Pointer.nativeValue(Libc.MAP_FAILED)) {
            throw new KernelCallException("mmap(" + what + ")", 0);
        }
        return new SharedTable(p, length);
    }

    /** The table's count field: how many slots are active. */
    public int count() {
        lock.readLock().lock();
        try {
            ensureOpen();
            return (int) INT.getAcquire(table, Uapi.OFF_COUNT);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Every active slot, each read consistently (the original SMTcheck's {@code active_slots}). */
    public List<Slot> activeSlots() {
        lock.readLock().lock();
        try {
            ensureOpen();
            List<Slot> out = new ArrayList<>();
            for (int word = 0; word < Uapi.MASK_WORDS; word++) {
                long bits = (long) LONG.getAcquire(table, Uapi.OFF_ACTIVE_MASK + word * 8);
                while (bits != 0) {
                    int index = word * 64 + Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    Slot s = read(index);
                    if (s != null && s.pgid() != 0) {
                        out.add(s);
                    }
                }
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** One slot, read consistently, or null when it never held still (see {@link #tornSkips}). */
    public Slot slot(int index) {
        if (index < 0 || index >= Uapi.MAX_SLOTS) {
            throw new IllegalArgumentException("slot " + index + " is outside 0.." + (Uapi.MAX_SLOTS - 1));
        }
        lock.readLock().lock();
        try {
            ensureOpen();
            return read(index);
        } finally {
            lock.readLock().unlock();
        }
    }

    private Slot read(int index) {
        int base = Uapi.OFF_SLOTS + index * Uapi.SLOT_SIZE;
        for (int i = 0; i < MAX_TRIES; i++) {
            int before = (int) INT.getAcquire(table, base + Uapi.SLOT_OFF_SEQ);
            if ((before & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            int pgid = table.getInt(base + Uapi.SLOT_OFF_PGID);
            int job = table.getInt(base + Uapi.SLOT_OFF_GLOBAL_JOBID);
            int workers = table.getInt(base + Uapi.SLOT_OFF_WORKER_NUM);
            long cycles = table.getLong(base + Uapi.SLOT_OFF_CYCLES);
            long instructions = table.getLong(base + Uapi.SLOT_OFF_INSTRUCTIONS);
            VarHandle.acquireFence();
            int after = (int) INT.getAcquire(table, base + Uapi.SLOT_OFF_SEQ);
            if (before == after) {
                return new Slot(index, pgid, job, workers, cycles, instructions);
            }
        }
        synchronized (this) {
            tornSkips++;
        }
        return null;
    }

    /** Slots skipped because a writer never finished while being read. */
    public synchronized long tornSkips() {
        return tornSkips;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the shared table is closed");
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            Libc.call("munmap", () -> Libc.C.munmap(mapping, length));
        } finally {
            lock.writeLock().unlock();
        }
    }
}
