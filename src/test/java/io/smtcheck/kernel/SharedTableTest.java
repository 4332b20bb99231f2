// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.os.Errno;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader against a file laid out like the kernel's table, written by threads that follow the
 * kernel's side of the seq protocol.
 */
class SharedTableTest {
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    /** The kernel's writer: seq odd, fields, seq even. Every field derives from {@code k}. */
    static void write(MappedByteBuffer t, int slot, int k) {
        int base = Uapi.OFF_SLOTS + slot * Uapi.SLOT_SIZE;
        int seq = (int) INT.getVolatile(t, base);
        INT.setVolatile(t, base, seq + 1);
        VarHandle.storeStoreFence();
        t.putInt(base + Uapi.SLOT_OFF_PGID, k);
        t.putInt(base + Uapi.SLOT_OFF_GLOBAL_JOBID, k + 1);
        t.putInt(base + Uapi.SLOT_OFF_WORKER_NUM, k + 2);
        t.putLong(base + Uapi.SLOT_OFF_CYCLES, 3L * k);
        t.putLong(base + Uapi.SLOT_OFF_INSTRUCTIONS, 5L * k);
        INT.setRelease(t, base, seq + 2);
    }

    static void activate(MappedByteBuffer t, int slot) {
        int word = Uapi.OFF_ACTIVE_MASK + (slot / 64) * 8;
        LONG.setVolatile(t, word, (long) LONG.getVolatile(t, word) | (1L << (slot % 64)));
        INT.setVolatile(t, Uapi.OFF_COUNT, (int) INT.getVolatile(t, Uapi.OFF_COUNT) + 1);
    }

    private record Mapped(FileChannel channel, MappedByteBuffer buffer, SharedTable table) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            table.close();
            channel.close();
        }
    }

    private Mapped mapped() throws IOException {
        Path file = dir.resolve("table");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_WRITE, 0, 135168);
        buf.order(ByteOrder.LITTLE_ENDIAN);
        int fd = Libc.call("open", () -> Libc.C.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC));
        try {
            return new Mapped(ch, buf, SharedTable.map(fd, 135168, file.toString()));
        } finally {
            Libc.closeQuietly(fd);
        }
    }

    @Test
    void readsActiveSlotsOnly() throws IOException {
        try (Mapped m = mapped()) {
            write(m.buffer(), 3, 100);
            write(m.buffer(), 4095, 200);
            write(m.buffer(), 70, 300); // written but not active
            activate(m.buffer(), 3);
            activate(m.buffer(), 4095);
            assertEquals(2, m.table().count());
            assertEquals(List.of(new SharedTable.Slot(3, 100, 101, 102, 300, 500),
                    new SharedTable.Slot(4095, 200, 201, 202, 600, 1000)), m.table().activeSlots());
            assertEquals(300, m.table().slot(70).pgid());
            assertThrows(IllegalArgumentException.class, () -> m.table().slot(4096));
        }
    }

    @Test
    void aSlotStuckMidWriteIsSkippedNotReturnedTorn() throws IOException {
        try (Mapped m = mapped()) {
            write(m.buffer(), 5, 1);
            activate(m.buffer(), 5);
            int base = Uapi.OFF_SLOTS + 5 * Uapi.SLOT_SIZE;
            INT.setVolatile(m.buffer(), base, (int) INT.getVolatile(m.buffer(), base) + 1);
            assertNull(m.table().slot(5));
            assertEquals(List.of(), m.table().activeSlots());
            assertEquals(2, m.table().tornSkips());
        }
    }

    @Test
    void neverSeesATornSlotWhileWritersRun() throws Exception {
        try (Mapped m = mapped()) {
            int[] slots = {0, 1, 63, 64, 2047, 4095};
            for (int s : slots) {
                write(m.buffer(), s, 1);
                activate(m.buffer(), s);
            }
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            Thread[] writers = new Thread[2];
            for (int w = 0; w < writers.length; w++) {
                int first = w;
                writers[w] = new Thread(() -> {
                    int k = 1;
                    while (!stop.get()) {
                        for (int i = first; i < slots.length; i += 2) {
                            write(m.buffer(), slots[i], k);
                        }
                        k++;
                        writes.incrementAndGet();
                    }
                });
                writers[w].start();
            }
            long reads = 0;
            long deadline = System.nanoTime() + 1_500_000_000L;
            try {
                while (System.nanoTime() < deadline) {
                    for (SharedTable.Slot s : m.table().activeSlots()) {
                        int k = s.pgid();
                        assertEquals(new SharedTable.Slot(s.index(), k, k + 1, k + 2, 3L * k, 5L * k), s, "torn read");
                    }
                    reads++;
                }
            } finally {
                stop.set(true);
                for (Thread t : writers) {
                    t.join();
                }
            }
            assertTrue(reads > 100, "reads " + reads);
            assertTrue(writes.get() > 100, "writes " + writes.get());
        }
    }

    @Test
    void closeIsIdempotentAndReadsAfterCloseFail() throws IOException {
        Mapped m = mapped();
        m.close();
        m.table().close();
        assertThrows(IllegalStateException.class, () -> m.table().activeSlots());
    }

    @Test
    void missingDeviceNamesTheCall() {
        KernelCallException e = assertThrows(KernelCallException.class,
                () -> IpcMonitorDevice.open(dir.resolve("IPC_monitor").toString()));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().startsWith("open(" + dir.resolve("IPC_monitor") + "): No such file"), e.getMessage());
    }

    @Test
    void aFileIsNotTheDevice() throws IOException {
        Path file = dir.resolve("not-a-device");
        java.nio.file.Files.write(file, new byte[200_000]);
        KernelCallException e = assertThrows(KernelCallException.class, () -> IpcMonitorDevice.open(file.toString()));
        assertEquals(Errno.ENOTTY, e.errno());
        assertTrue(e.call().contains("IPCMON_IOC_GET_INFO"), e.call());
    }
}
