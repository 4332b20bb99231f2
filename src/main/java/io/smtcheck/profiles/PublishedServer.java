// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The address of the embedded server that has a data directory open, in
 * {@code <dataDir>/server.json}: its unix socket, as a driver URI
 * ({@code mongodb://%2F...%2Fstore.sock}), so that other processes of the same user (commands run
 * while the daemon holds the directory) can reach the same data. Written by the process that
 * holds the directory's lock and removed when it stops; a process killed hard leaves it behind,
 * so readers check that the process and its socket are still there.
 */
public record PublishedServer(String uri, long pid, String startedAt) {
    private static final Logger LOG = LoggerFactory.getLogger(PublishedServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String FILE_NAME = "server.json";

    public static Path file(Path dataDir) {
        return dataDir.resolve(FILE_NAME);
    }

    /** Replaces the file in one step, mode 0600 (the mode of a new temporary file). */
    static void publish(Path dataDir, String uri) throws IOException {
        ObjectNode o = JSON.createObjectNode()
                .put("uri", uri)
                .put("pid", ProcessHandle.current().pid())
                .put("started_at", Instant.now().toString());
        Path tmp = Files.createTempFile(dataDir, "." + FILE_NAME + "-", ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), o);
            Files.move(tmp, file(dataDir), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void withdraw(Path dataDir) {
        try {
            Files.deleteIfExists(file(dataDir));
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", file(dataDir), e.getMessage());
        }
    }

    /** The published server of {@code dataDir}; empty when there is no file or it is not one of ours. */
    public static Optional<PublishedServer> read(Path dataDir) {
        try {
            JsonNode o = JSON.readTree(Files.readAllBytes(file(dataDir)));
            if (o == null || !o.path("uri").isTextual() || !o.path("pid").canConvertToLong()) {
                return Optional.empty();
            }
            return Optional.of(new PublishedServer(o.get("uri").asText(), o.get("pid").asLong(),
                    o.path("started_at").asText("")));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.debug("ignoring {}: {}", file(dataDir), e.getMessage());
            return Optional.empty();
        }
    }

    /** Whether the process that published the file still runs. */
    public boolean alive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** The published unix socket; empty when the URI names none. */
    public Optional<Path> socket() {
        String prefix = "mongodb://";
        if (!uri.startsWith(prefix) || !uri.startsWith(prefix + "%2F")) {
            return Optional.empty();
        }
        String host = uri.substring(prefix.length()).replaceFirst("[/?].*$", "");
        return Optional.of(Path.of(URLDecoder.decode(host, StandardCharsets.UTF_8)));
    }

    /**
     * Whether something accepts connections on the published socket (a local connect answers at
     * once or fails at once, so there is no timeout to wait).
     *
     * @throws StoreAccessDeniedException when the socket is there but not open to this user
     */
    public boolean answers() {
        Optional<Path> socket = socket();
        if (socket.isEmpty()) {
            return false;
        }
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket.get()));
            return true;
        } catch (IOException e) {
            if (StoreAccessDeniedException.causedBy(e)) {
                throw new StoreAccessDeniedException(StoreAccessDeniedException.denied(socket.get().toString()), e);
            }
            return false;
        }
    }
}
