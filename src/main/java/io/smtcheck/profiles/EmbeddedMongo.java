// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.wire.MongoDatabaseHandler;
import de.bwaldvogel.mongo.wire.MongoExceptionHandler;
import de.bwaldvogel.mongo.wire.MongoWireMessageEncoder;
import de.bwaldvogel.mongo.wire.MongoWireProtocolHandler;
import de.bwaldvogel.mongo.wire.MongoWireReplyEncoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.mvstore.MVStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A MongoDB-wire-compatible server in this process ({@code de.bwaldvogel:mongo-java-server}) whose
 * data lives in an H2 MVStore file, {@code <dataDir>/profiles.mv}, so it survives restarts.
 *
 * <p>The server has no authentication, so it listens on no network port: only on the unix socket
 * {@code <dataDir>/store.sock}, mode 0600 in a directory of mode 0700. The kernel's permission
 * check is the access control: only the user that runs the server (root, for the daemon) can
 * connect, read or change the profiles that decide what the daemon pins. Only one process can
 * open a data directory at a time; it publishes the socket there ({@link PublishedServer}) so that
 * the owner's other commands can connect to it.
 *
 * <p>H2 keeps acknowledged writes in memory until its background writer commits them to the file,
 * about once a second (MVStore's default auto-commit delay); that also covers writes that other
 * processes send. {@link #commit()} makes them durable at once: call it after writes that must
 * survive a crash ({@link MongoGateway} does after each write). H2 closes the file after a
 * failed write (a full disk); the server then opens it again ({@link ReopeningBackend}).
 */
public final class EmbeddedMongo implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedMongo.class);
    static final String FILE_NAME = "profiles.mv";
    static final String SOCKET_NAME = "store.sock";

    private final Path dataDir;
    private final Path socket;
    private final ReopeningBackend backend;
    private final StoreErrors errors;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final ChannelGroup clients;
    private final Channel listener;
    private boolean closed;

    /** The data directory is open in another process. */
    public static final class InUseException extends IOException {
        private static final long serialVersionUID = 1L;

        InUseException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private EmbeddedMongo(Path dataDir, Path socket, ReopeningBackend backend, StoreErrors errors,
            EventLoopGroup acceptors, EventLoopGroup workers, ChannelGroup clients, Channel listener) {
        this.dataDir = dataDir;
        this.socket = socket;
        this.backend = backend;
        this.errors = errors;
        this.acceptors = acceptors;
        this.workers = workers;
        this.clients = clients;
        this.listener = listener;
    }

    /**
     * Opens the data in {@code dataDir} (created, mode 0700) and serves it on {@code dataDir/store.sock}.
     *
     * @throws InUseException              when another process has the directory open
     * @throws StoreAccessDeniedException  when the directory belongs to someone else
     * @throws IOException                 when the directory cannot be created or its file is unreadable
     */
    public static EmbeddedMongo start(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        StoreAccessDeniedException.check(dataDir);
        try {
            Files.setPosixFilePermissions(dataDir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException | IOException e) {
            LOG.warn("cannot make {} private (0700): {}", dataDir, e.getMessage());
        }
        Path file = dataDir.resolve(FILE_NAME);
        H2Backend h2;
        try {
            h2 = new H2Backend(file.toString());
        } catch (MVStoreException e) {
            String prefix = "cannot open the profile database " + file + ": ";
            if (e.getMessage() != null && e.getMessage().contains("locked")) {
                throw new InUseException(prefix
                        + "it is in use by another process (a running daemon?); stop it or connect with --mongo-uri", e);
            }
            throw new IOException(prefix + ReopeningBackend.oneLine(e), e);
        }
        StoreErrors errors = new StoreErrors(LOG, file.toString(), Clock.systemUTC());
        ReopeningBackend backend = new ReopeningBackend(file, h2, errors);
        Path socket = dataDir.resolve(SOCKET_NAME);
        EventLoopGroup acceptors = new MultiThreadIoEventLoopGroup(1, threads("store-accept"), NioIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, threads("store-worker"), NioIoHandler.newFactory());
        ChannelGroup clients = new DefaultChannelGroup("store-clients", workers.next());
        Channel listener;
        try {
            // This process holds the data file's lock: a socket left here belongs to a dead server.
            Files.deleteIfExists(socket);
            listener = new ServerBootstrap().group(acceptors, workers)
                    .channel(NioServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new MongoWireReplyEncoder(), new MongoWireMessageEncoder(),
                                    new MongoWireProtocolHandler(), new MongoDatabaseHandler(backend, clients),
                                    new MongoExceptionHandler());
                        }
                    })
                    .bind(UnixDomainSocketAddress.of(socket)).syncUninterruptibly().channel();
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            acceptors.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
            backend.close();
            Files.deleteIfExists(socket);
            throw new IOException("cannot listen on " + socket + ": " + e.getMessage(), e);
        }
        EmbeddedMongo started = new EmbeddedMongo(dataDir, socket, backend, errors, acceptors, workers, clients, listener);
        LOG.info("embedded MongoDB server on {} with data in {}", socket, file);
        try {
            // Replaces any file left by a process killed hard: this process holds the lock now.
            PublishedServer.publish(dataDir, started.connectionString());
        } catch (IOException e) {
            LOG.warn("cannot publish the server's address in {}: {}; other commands cannot reach it",
                    PublishedServer.file(dataDir), e.getMessage());
        }
        return started;
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** {@code mongodb://%2Fpath%2Fto%2Fstore.sock}: the driver's form of a unix socket. */
    public String connectionString() {
        return uriOf(socket);
    }

    static String uriOf(Path socket) {
        return "mongodb://" + URLEncoder.encode(socket.toAbsolutePath().toString(), StandardCharsets.UTF_8);
    }

    public Path socket() {
        return socket;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The failures of the data file so far (full disk, ...), and whether it works now. */
    public StoreHealth health() {
        return errors.health();
    }

    /** Makes every acknowledged write so far durable in the data file; false when the file cannot be written. */
    public synchronized boolean commit() {
        return closed || backend.commit();
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
            listener.close().syncUninterruptibly();
            clients.close().syncUninterruptibly();
            acceptors.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            backend.close();
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", socket, e.getMessage());
            }
        }
    }
}
