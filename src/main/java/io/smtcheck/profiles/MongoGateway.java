// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoException;
import com.mongodb.MongoServerException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way to MongoDB: it owns the {@link MongoClient} and, in embedded mode, the
 * {@link EmbeddedMongo} server, and every operation of every collection goes through
 * {@link #run}, which creates the indexes at the first successful contact, counts failures in
 * {@link StoreErrors}, and backs off after an outage: a failed contact opens a circuit for 0.5 s,
 * then 1 s, 2 s, ... up to {@link StoreSettings#maxBackoff()}, logging the outage once and the
 * recovery once. {@link #close()} releases the client and the server, once. Thread-safe.
 */
public final class MongoGateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProfileStore.class);

    /** How long a caller waits for MongoDB. */
    public enum Patience {
        /**
         * For commands: {@link StoreSettings#attempts()} attempts with backoff between them, then
         * {@link StoreUnavailableException}.
         */
        RETRY,
        /**
         * For the daemon's background work: one attempt, none while the circuit is open after an
         * outage; {@link StoreUnavailableException} at once when it fails.
         */
        ONCE
    }

    private final String where;
    private final String uri;
    private final MongoClient client;
    private final MongoDatabase db;
    private final EmbeddedMongo embedded;
    private final StoreSettings settings;
    /** Held open while the client lives when the socket's path has capitals; else null. */
    private final SocketDirectory socketDirectory;
    private final StoreErrors errors;
    private final Set<String> reportedInvalid = ConcurrentHashMap.newKeySet();

    private final Object circuit = new Object();
    private boolean down;
    private long nextAttemptNanos;
    private Duration backoff;
    private volatile boolean indexesReady;
    private boolean closed;

    /** The embedded server could not write an acknowledged write to its file (a full disk): it is lost. */
    private static final class CommitFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CommitFailedException(String message) {
            super(message);
        }
    }

    private MongoGateway(String uri, String where, EmbeddedMongo embedded, StoreSettings settings) {
        ConnectionString cs;
        try {
            cs = new ConnectionString(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid MongoDB URI '" + redact(uri) + "': " + e.getMessage());
        }
        this.where = where;
        this.uri = uri;
        this.embedded = embedded;
        this.settings = settings;
        this.backoff = settings.firstBackoff();
        this.errors = new StoreErrors(LOG, where, Clock.systemUTC());
        if (cs.getHosts().stream().anyMatch(h -> h.endsWith(".sock"))) {
            loadUnixSockets();
        }
        this.socketDirectory = cs.getHosts().size() == 1 && cs.getHosts().get(0).endsWith(".sock")
                && SocketDirectory.needed(cs.getHosts().get(0)) ? SocketDirectory.open(cs.getHosts().get(0)) : null;
        long timeoutMs = settings.timeout().toMillis();
        MongoClientSettings clientSettings = MongoClientSettings.builder()
                .applyConnectionString(cs)
                // The attempts and the backoff are this class's alone: a read the driver retried on its
                // own would wait out a second server selection before the daemon learns of an outage.
                .retryReads(false)
                .applyToClusterSettings(b -> {
                    b.serverSelectionTimeout(timeoutMs, TimeUnit.MILLISECONDS);
                    if (socketDirectory != null) {
                        b.hosts(List.of(socketDirectory.address()));
                    }
                })
                .applyToSocketSettings(b -> b.connectTimeout((int) timeoutMs, TimeUnit.MILLISECONDS)
                        .readTimeout((int) Math.max(10_000, 5 * timeoutMs), TimeUnit.MILLISECONDS))
                .build();
        this.client = MongoClients.create(clientSettings);
        this.db = client.getDatabase(cs.getDatabase() == null ? ProfileStore.DEFAULT_DATABASE : cs.getDatabase());
        // Indexes now if the server is there; otherwise at the first successful contact. Quietly: the
        // first operation tries again and reports a failure, a command's in one line.
        try {
            ensureIndexes();
        } catch (MongoException | CommitFailedException e) {
            LOG.debug("no indexes yet at {}: {}", where, firstLine(e.getMessage()));
        }
    }

    /** @throws IllegalArgumentException for a malformed URI */
    static MongoGateway connect(String mongoUri, StoreSettings settings) {
        return new MongoGateway(mongoUri, redact(mongoUri), null, settings);
    }

    static MongoGateway connect(PublishedServer server, Path dataDir) {
        return new MongoGateway(server.uri(), "the embedded server of process " + server.pid() + " (" + server.uri()
                + ", data in " + dataDir + ")", null, StoreSettings.DEFAULT);
    }

    static MongoGateway embedded(Path dataDir, StoreSettings settings) throws IOException {
        EmbeddedMongo server = EmbeddedMongo.start(dataDir);
        try {
            return new MongoGateway(server.connectionString(), "embedded server (" + dataDir + ")", server, settings);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The server, for messages: the URI without credentials, or the embedded server's directory. */
    public String where() {
        return where;
    }

    /** The URI the client uses (with credentials, if any: not for messages). */
    String connectionString() {
        return uri;
    }

    /** The database it works in. */
    public String databaseName() {
        return db.getName();
    }

    /** How patiently it talks to MongoDB. */
    public StoreSettings settings() {
        return settings;
    }

    /** Failed operations so far, and whether the last one succeeded. */
    public StoreHealth health() {
        return errors.health();
    }

    /** How long until the circuit lets a {@link Patience#ONCE} call through again; zero when it is closed. */
    public Duration untilNextAttempt() {
        synchronized (circuit) {
            return down ? Duration.ofNanos(Math.max(0, nextAttemptNanos - System.nanoTime())) : Duration.ZERO;
        }
    }

    /**
     * Runs {@code op} on the database as {@code patience} says.
     *
     * @throws StoreUnavailableException  when MongoDB is unreachable, refused the operation, or (embedded) could
     *                                    not save a write; one line naming the server and what was tried
     * @throws StoreAccessDeniedException when this user may not use the store
     */
    <T> T run(Patience patience, String what, Function<MongoDatabase, T> op) {
        return patience == Patience.RETRY ? retrying(what, op) : once(what, op);
    }

    /** Commits the acknowledged writes to the embedded server's file; a no-op for an external server. */
    void commit() {
        if (embedded != null && !embedded.commit()) {
            throw new CommitFailedException("the write was not saved to " + embedded.dataDir().resolve(EmbeddedMongo.FILE_NAME)
                    + " (" + embedded.health().lastError() + ")");
        }
    }

    /** Logs a skipped document once per store, however often it is read. */
    void reportInvalid(ProfileStore.Skipped s) {
        if (reportedInvalid.add(s.toString())) {
            LOG.warn("skipping an invalid document in {}: {}", s.collection(), s.id() + ": " + s.reason());
        }
    }

    /** Closes the client and, in embedded mode, commits and stops the server. Idempotent. */
    @Override
    public void close() {
        synchronized (circuit) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            client.close();
        } finally {
            if (socketDirectory != null) {
                socketDirectory.close();
            }
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private <T> T once(String what, Function<MongoDatabase, T> op) {
        synchronized (circuit) {
            if (closed) {
                throw new StoreUnavailableException("the profile store at " + where + " is closed", null);
            }
            if (down && System.nanoTime() < nextAttemptNanos) {
                throw new StoreUnavailableException("MongoDB at " + where + " is unreachable; next attempt in "
                        + untilNextAttempt().toMillis() + " ms", null);
            }
        }
        try {
            ensureIndexes();
            T result = op.apply(db);
            succeeded();
            return result;
        } catch (MongoException e) {
            if (StoreAccessDeniedException.causedBy(e)) {
                errors.failed(what, e);
                throw new StoreAccessDeniedException(StoreAccessDeniedException.denied(where), e);
            }
            if (!isOutage(e)) {
                refused(what, e);
                throw new StoreUnavailableException("MongoDB at " + where + " refused to " + what + ": "
                        + firstLine(e.getMessage()), e);
            }
            failed(what, e);
            throw new StoreUnavailableException("MongoDB at " + where + " is unreachable (tried to " + what + "): "
                    + firstLine(e.getMessage()), e);
        } catch (CommitFailedException e) {
            refused(what, e);
            throw new StoreUnavailableException("MongoDB at " + where + " could not " + what + ": " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            // The client was closed under us: the store is shutting down.
            throw new StoreUnavailableException("the profile store at " + where + " is closed", e);
        }
    }

    private <T> T retrying(String what, Function<MongoDatabase, T> op) {
        MongoException last = null;
        for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
            try {
                ensureIndexes();
                T result = op.apply(db);
                succeeded();
                return result;
            } catch (CommitFailedException e) {
                errors.failed(what, e); // counted; the exception says it
                throw new StoreUnavailableException("MongoDB at " + where + " could not " + what + ": " + e.getMessage(), e);
            } catch (MongoException e) {
                if (StoreAccessDeniedException.causedBy(e)) {
                    errors.failed(what, e);
                    throw new StoreAccessDeniedException(StoreAccessDeniedException.denied(where), e);
                }
                if (!isOutage(e)) {
                    errors.failed(what, e);
                    throw new StoreUnavailableException("MongoDB at " + where + " refused to " + what + ": "
                            + firstLine(e.getMessage()), e);
                }
                last = e;
                Duration pause = failed(what, e);
                if (attempt < settings.attempts()) {
                    sleep(pause);
                }
            }
        }
        throw new StoreUnavailableException("MongoDB at " + where + " is unreachable (tried to " + what + " "
                + settings.attempts() + " times): " + firstLine(last.getMessage()), last);
    }

    private void ensureIndexes() {
        if (indexesReady) {
            return;
        }
        if (OriginalProfileData.isOriginal(db.getName())) {
            indexesReady = true; // the original's database is read, never given collections of ours
            return;
        }
        ProfileCollection.createIndexes(db);
        BaselineCollection.createIndexes(db);
        RequestCollection.createIndexes(db);
        SampleCollection.createIndexes(db);
        MeasurementCollection.createIndexes(db);
        ObservedCollection.createIndexes(db);
        commit();
        indexesReady = true;
    }

    private void succeeded() {
        synchronized (circuit) {
            down = false;
            backoff = settings.firstBackoff();
        }
        errors.succeeded(); // logs the recovery
    }

    /** The server answered with an error (or the embedded one could not save a write). */
    private void refused(String what, RuntimeException e) {
        if (errors.failed(what, e)) {
            LOG.warn("MongoDB at {} refused to {}: {}", where, what, firstLine(e.getMessage()));
        }
    }

    private Duration failed(String what, MongoException e) {
        Duration pause;
        boolean first;
        synchronized (circuit) {
            first = !down;
            pause = down ? settings.nextBackoff(backoff) : settings.firstBackoff();
            backoff = pause;
            down = true;
            nextAttemptNanos = System.nanoTime() + pause.toNanos();
        }
        if (errors.failed(what, e) || first) {
            LOG.warn("MongoDB at {} is unreachable ({}: {}); retrying with backoff", where, what,
                    firstLine(e.getMessage()));
        } else {
            LOG.debug("MongoDB at {} still unreachable ({}); next try in {} ms", where, what, pause.toMillis());
        }
        return pause;
    }

    private static boolean isOutage(MongoException e) {
        // A server that answered with an error is not an outage; anything else (timeouts, sockets,
        // no server selectable) is.
        return !(e instanceof MongoServerException);
    }

    /**
     * The driver reaches unix sockets through jnr, whose first use builds its native bindings: on a
     * busy machine that takes longer than a connect timeout. Done here, before any timeout runs.
     */
    private static void loadUnixSockets() {
        try {
            jnr.unixsocket.UnixSocketChannel.open().close();
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.debug("cannot prepare unix sockets: {}", e.toString());
        }
    }


    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The URI without its password, for messages and logs. */
    static String redact(String uri) {
        return uri == null ? "null" : uri.replaceFirst("^([A-Za-z0-9+.-]+://[^:/@]*):[^@/]*@", "$1:***@");
    }
}
