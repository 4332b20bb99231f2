// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd how the service stands (sd_notify): one datagram per state change, such as
 * {@code READY=1}, to the unix socket named by {@code $NOTIFY_SOCKET} (a path, or an abstract
 * socket when it starts with {@code @}). Without that variable, as outside systemd, it sends
 * nothing. A failed send is logged and otherwise ignored: the daemon works on without it.
 */
public final class SystemdNotifier {
    public static final String SOCKET_ENV = "NOTIFY_SOCKET";
    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotifier.class);

    private final String socket;

    SystemdNotifier(String socket) {
        this.socket = socket == null || socket.isEmpty() ? null : socket;
    }

    /** The notifier for $NOTIFY_SOCKET. */
    public static SystemdNotifier fromEnvironment() {
        return new SystemdNotifier(System.getenv(SOCKET_ENV));
    }

    /** Sends newline-separated assignments, for example {@code "READY=1\nSTATUS=serving"}. */
    public void send(String state) {
        if (socket == null) {
            return;
        }
        String path = socket.startsWith("@") ? "\0" + socket.substring(1) : socket;
        try (UnixDatagramChannel channel = UnixDatagramChannel.open()) {
            channel.send(ByteBuffer.wrap(state.getBytes(StandardCharsets.UTF_8)), new UnixSocketAddress(path));
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot notify systemd at {} of {}: {}", socket, state.replace('\n', ' '), e.getMessage());
        }
    }
}
