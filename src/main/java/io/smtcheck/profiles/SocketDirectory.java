// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import com.mongodb.UnixServerAddress;
import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The directory of a MongoDB unix socket, held open. The driver takes a socket's path for a host
 * name and lower-cases it, so a socket under a directory with capitals in its name (a home
 * directory, a temporary one) cannot be reached by its own path. Through the open directory it
 * can: {@code /proc/self/fd/N/NAME} names the same socket and has no capitals, as long as NAME has
 * none. The descriptor lives as long as the client that connects through it.
 */
final class SocketDirectory implements AutoCloseable {
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0x10000;
    private static final int O_CLOEXEC = 0x80000;

    private interface C extends Library {
        C LIBC = Native.load("c", C.class);

        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private final int fd;
    private final String name;
    private boolean closed;

    private SocketDirectory(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /** Whether the driver would reach {@code socket} by another path than its own. */
    static boolean needed(String socket) {
        return !socket.equals(socket.toLowerCase(Locale.ROOT));
    }

    /**
     * Opens the directory of {@code socket}.
     *
     * @throws IllegalArgumentException when the socket's own name has capitals (no path without them names it)
     * @throws StoreUnavailableException when the directory cannot be opened
     */
    static SocketDirectory open(String socket) {
        Path path = Path.of(socket);
        String name = path.getFileName().toString();
        if (needed(name)) {
            throw new IllegalArgumentException("the MongoDB driver lower-cases unix socket paths: name the socket "
                    + socket + " in lower case");
        }
        Path dir = path.toAbsolutePath().getParent();
        try {
            return new SocketDirectory(C.LIBC.open(dir.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), name);
        } catch (LastErrorException e) {
            throw new StoreUnavailableException("cannot open " + dir + ", the directory of the socket " + socket + ": "
                    + e.getMessage().replaceFirst("^\\[\\d+\\]\\s*", ""), e);
        }
    }

    /** The socket, by a path the driver keeps as it is. */
    UnixServerAddress address() {
        return new UnixServerAddress("/proc/self/fd/" + fd + "/" + name);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            try {
                C.LIBC.close(fd);
            } catch (LastErrorException e) {
                // nothing left to release
            }
        }
    }
}
