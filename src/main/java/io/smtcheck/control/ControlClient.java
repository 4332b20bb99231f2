// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;

/** Sends one request to the daemon's control socket and returns its answer. */
public final class ControlClient {
    /** Nothing listens on the socket. */
    public static final class NotRunningException extends IOException {
        private static final long serialVersionUID = 1L;

        NotRunningException(String message) {
            super(message);
        }
    }

    /** The socket is there but this user may not connect to it. */
    public static final class PermissionDeniedException extends IOException {
        private static final long serialVersionUID = 1L;

        PermissionDeniedException(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TIMEOUT_MS = 10_000;

    private ControlClient() {
    }

    /** The answer object: {@code ok} true with a {@code result}, or false with an {@code error}. */
    public static JsonNode request(Path socket, JsonNode request) throws IOException {
        if (!Files.exists(socket)) {
            throw new NotRunningException("daemon is not running (no socket at " + socket + ")");
        }
        UnixSocketChannel channel;
        try {
            channel = UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()));
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            if (m.contains("refused") || m.contains("No such file")) {
                throw new NotRunningException("daemon is not running (nothing listens on " + socket + ")");
            }
            if (m.contains("ermission")) {
                throw new PermissionDeniedException("permission denied on " + socket
                        + ": run as root or as a member of the socket's group");
            }
            throw new IOException("cannot connect to " + socket + ": " + m);
        }
        try (channel) {
            return exchange(channel, request);
        } catch (JsonProcessingException e) {
            throw new IOException("the daemon at " + socket + " answered with something that is not JSON");
        } catch (IOException e) {
            throw new IOException("lost the connection to the daemon at " + socket + ": " + e.getMessage());
        }
    }

    private static JsonNode exchange(UnixSocketChannel channel, JsonNode request) throws IOException {
        channel.setOption(UnixSocketOptions.SO_RCVTIMEO, TIMEOUT_MS);
        OutputStream out = Channels.newOutputStream(channel);
        out.write((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = Channels.newInputStream(channel);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        if (line.size() == 0) {
            throw new IOException("it closed the connection without answering");
        }
        return JSON.readTree(line.toString(StandardCharsets.UTF_8));
    }
}
