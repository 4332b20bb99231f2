// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.h2.mvstore.MVStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MongoDB-wire-compatible server in this process ({@code de.bwaldvogel:mongo-java-server}) whose
 * data lives in an H2 MVStore file, {@code <dataDir>/profiles.mv}, so it survives restarts. It
 * listens on loopback only, on a port the system picks unless one is given. It has no
 * authentication: any local user can reach the port, so on shared hosts use a real MongoDB with
 * access control ({@code --mongo-uri}). Only one process can open a data directory at a time; it
 * publishes its address there ({@link PublishedServer}) so that the others can connect to it.
 *
 * <p>H2 keeps acknowledged writes in memory until its background writer commits them to the file,
 * about once a second (MVStore's default auto-commit delay); that also covers writes that other
 * processes send over TCP. {@link #commit()} makes them durable at once: call it after writes that
 * must survive a crash ({@link ProfileStore} does after each of its writes).
 */
public final class EmbeddedMongo implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedMongo.class);
    static final String FILE_NAME = "profiles.mv";

    private final Path dataDir;
    private final H2Backend backend;
    private final MongoServer server;
    private final InetSocketAddress address;
    private boolean closed;

    /** The data directory is open in another process. */
    public static final class InUseException extends IOException {
        private static final long serialVersionUID = 1L;

        InUseException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private EmbeddedMongo(Path dataDir, H2Backend backend, MongoServer server, InetSocketAddress address) {
        this.dataDir = dataDir;
        this.backend = backend;
        this.server = server;
        this.address = address;
    }

    /** Starts on a free loopback port. */
    public static EmbeddedMongo start(Path dataDir) throws IOException {
        return start(dataDir, 0);
    }

    /**
     * Starts on {@code port} of 127.0.0.1 (0: any free port).
     *
     * @throws InUseException when another process has the directory open
     * @throws IOException      when the directory cannot be created or its file is unreadable
     */
    public static EmbeddedMongo start(Path dataDir, int port) throws IOException {
        Files.createDirectories(dataDir);
        try {
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException | IOException e) {
            LOG.warn("cannot make {} private (0700): {}", dataDir, e.getMessage());
        }
        Path file = dataDir.resolve(FILE_NAME);
        H2Backend backend;
        try {
            backend = new H2Backend(file.toString());
        } catch (MVStoreException e) {
            String prefix = "cannot open the profile database " + file + ": ";
            if (e.getMessage() != null && e.getMessage().contains("locked")) {
                throw new InUseException(prefix
                        + "it is in use by another process (a running daemon?); stop it or connect with --mongo-uri", e);
            }
            throw new IOException(prefix + e.getMessage(), e);
        }
        MongoServer server = new MongoServer(backend);
        try {
            server.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (RuntimeException e) {
            server.shutdownNow();
            backend.close();
            throw new IOException("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
        EmbeddedMongo started = new EmbeddedMongo(dataDir, backend, server, server.getLocalAddress());
        LOG.info("embedded MongoDB server on {} with data in {}", started.address, file);
        try {
            // Replaces any file left by a process killed hard: this process holds the lock now.
            PublishedServer.publish(dataDir, started.connectionString());
        } catch (IOException e) {
            LOG.warn("cannot publish the server's address in {}: {}; other commands cannot reach it",
                    PublishedServer.file(dataDir), e.getMessage());
        }
        return started;
    }

    /** {@code mongodb://127.0.0.1:PORT}. */
    public String connectionString() {
        return "mongodb://" + address.getHostString() + ":" + address.getPort();
    }

    public int port() {
        return address.getPort();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Makes every acknowledged write so far durable in the data file. */
    public synchronized void commit() {
        if (!closed) {
            backend.commit();
        }
    }

    /** Withdraws the published address, commits, stops listening, drops connections and closes the file. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        // First, so that no new client is sent to a server that is going away.
        PublishedServer.withdraw(dataDir);
        try {
            backend.commit();
        } finally {
            closed = true;
            server.shutdownNow();
            backend.close();
        }
    }
}
