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
 * access control ({@code --mongo-uri}). Only one process can use a data directory at a time.
 *
 * <p>The H2 backend keeps acknowledged writes in memory until {@link #commit()}: call it after
 * writes that must survive a crash ({@link ProfileStore} does after each of its writes).
 */
public final class EmbeddedMongo implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedMongo.class);
    static final String FILE_NAME = "profiles.mv";

    private final Path dataDir;
    private final H2Backend backend;
    private final MongoServer server;
    private final InetSocketAddress address;
    private boolean closed;

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
     * @throws IOException when the directory cannot be created or its file is in use or unreadable
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
            String why = e.getMessage() != null && e.getMessage().contains("locked")
                    ? "it is in use by another process (a running daemon?); stop it or connect with --mongo-uri"
                    : e.getMessage();
            throw new IOException("cannot open the profile database " + file + ": " + why, e);
        }
        MongoServer server = new MongoServer(backend);
        try {
            server.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (RuntimeException e) {
            server.shutdownNow();
            backend.close();
            throw new IOException("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
        InetSocketAddress address = server.getLocalAddress();
        LOG.info("embedded MongoDB server on {} with data in {}", address, file);
        return new EmbeddedMongo(dataDir, backend, server, address);
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

    /** Commits, stops listening, drops connections and closes the file. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            backend.commit();
        } finally {
            closed = true;
            server.shutdownNow();
            backend.close();
        }
    }
}
