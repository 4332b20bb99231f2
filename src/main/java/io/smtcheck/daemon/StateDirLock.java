// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One daemon per state directory: a lock on {@code daemon.lock} there, held for the daemon's
 * life. Two daemons sharing the directory would restore and delete each other's records of the
 * groups they pinned. The file holds the holder's pid, so the refusal can name it; the kernel
 * drops the lock when the holder dies, however it dies. Within one process the lock file is not
 * even opened a second time: closing any descriptor of a file drops the process's lock on it.
 */
final class StateDirLock implements AutoCloseable {
    static final String FILE = "daemon.lock";
    private static final Set<Path> HELD_HERE = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private StateDirLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock.
     *
     * @throws StateDirInUseException when another daemon holds it
     * @throws IOException             when the directory or the file cannot be made
     */
    static StateDirLock acquire(Path stateDir) throws IOException {
        Files.createDirectories(stateDir);
        Path dir = stateDir.toRealPath();
        if (!HELD_HERE.add(dir)) {
            throw inUse(stateDir, Long.toString(ProcessHandle.current().pid()));
        }
        Path file = dir.resolve(FILE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw inUse(stateDir, new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim());
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new StateDirLock(dir, channel, lock);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            HELD_HERE.remove(dir);
            throw e;
        }
    }

    private static StateDirInUseException inUse(Path stateDir, String holder) {
        return new StateDirInUseException("another daemon" + (holder.isEmpty() ? "" : " (pid " + holder + ")")
                + " uses the state directory " + stateDir + ": stop it first, or give this one another --state-dir");
    }

    /** Releases the lock; the file stays (deleting it could let a third daemon lock a fresh one). */
    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // The lock goes with the descriptor, and the descriptor with the process.
        } finally {
            HELD_HERE.remove(dir);
        }
    }
}
