// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerException;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import de.bwaldvogel.mongo.wire.message.MongoQuery;
import io.netty.channel.Channel;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import org.h2.mvstore.MVStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The H2 backend, opened again when it has closed itself. H2 closes its file for good after a
 * failed write (a full disk, for instance); every later request would fail until a restart.
 * Instead, a request that finds it closed opens the file again (at most once per
 * {@link #REOPEN_PAUSE}), so the store works again as soon as the disk has room. Storage failures
 * reach the client as server errors with a one-line message, and are counted in {@link StoreErrors};
 * a commit that reaches the file ends a run of failures.
 */
final class ReopeningBackend implements MongoBackend {
    static final Duration REOPEN_PAUSE = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedMongo.class);

    private final Path file;
    private final StoreErrors errors;
    private H2Backend current;
    private long nextReopenNanos;
    private boolean closed;

    ReopeningBackend(Path file, H2Backend first, StoreErrors errors) {
        this.file = file;
        this.current = first;
        this.errors = errors;
    }

    /** Commits the acknowledged writes to the file; false (and counted) when that failed. */
    synchronized boolean commit() {
        try {
            backend().commit();
            // Only a write that reached the file says the store works: reads do while the disk is full.
            errors.succeeded();
            return true;
        } catch (MVStoreException | MongoServerException e) {
            fail("commit to " + file, e);
            return false;
        }
    }

    /** The open backend, opening the file again when H2 has closed it. */
    private synchronized H2Backend backend() {
        if (closed) {
            throw new MongoServerException("the profile store is shutting down");
        }
        if (current.getMvStore().isClosed()) {
            String why = errors.health().lastError();
            if (System.nanoTime() < nextReopenNanos) {
                throw new MongoServerException("the profile database " + file + " is closed after a failed write"
                        + (why == null ? "" : " (" + why + ")") + "; it is opened again within a second");
            }
            nextReopenNanos = System.nanoTime() + REOPEN_PAUSE.toNanos();
            current.close();
            try {
                current = new H2Backend(file.toString());
            } catch (MVStoreException e) {
                fail("open " + file + " again", e);
                throw new MongoServerException("cannot open the profile database " + file + " again: " + oneLine(e));
            }
            LOG.debug("opened the profile database {} again", file);
        }
        return current;
    }

    /** Runs one request; a storage failure becomes a counted, one-line server error. */
    private <T> T call(String what, Supplier<T> request) {
        try {
            return request.get();
        } catch (MVStoreException | IllegalStateException e) {
            fail(what + " in " + file, e);
            throw new MongoServerException("the profile database " + file + " failed: " + oneLine(e));
        }
    }

    private void run(String what, Runnable request) {
        call(what, () -> {
            request.run();
            return null;
        });
    }

    private void fail(String what, Throwable e) {
        if (errors.failed(what, e)) {
            LOG.warn("the profile database {} fails: {}; requests get an error until it works again", file,
                    errors.health().lastError());
        }
    }

    /**
     * One line for a failure: the system's own words when a system call failed underneath ("No
     * space left on device"), which H2 wraps in messages that name only its internals.
     */
    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        Throwable chosen = root instanceof java.io.IOException && root.getMessage() != null ? root : e;
        String m = String.valueOf(chosen.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    @Override
    public void handleClose(Channel channel) {
        H2Backend b;
        synchronized (this) {
            b = current;
        }
        // No reopening for a client that goes away: its cursors went with the old file anyway.
        if (!b.getMvStore().isClosed()) {
            b.handleClose(channel);
        }
    }

    @Override
    public Document handleCommand(Channel channel, String database, String command, Document query) {
        return call(command, () -> backend().handleCommand(channel, database, command, query));
    }

    @Override
    public QueryResult handleQuery(MongoQuery query) {
        return call("query", () -> backend().handleQuery(query));
    }

    @Override
    public Document handleMessage(MongoMessage message) {
        return call("request", () -> backend().handleMessage(message));
    }

    @Override
    public void dropDatabase(String database) {
        run("drop " + database, () -> backend().dropDatabase(database));
    }

    @Override
    public Collection<Document> getCurrentOperations(MongoQuery query) {
        return call("list operations", () -> backend().getCurrentOperations(query));
    }

    @Override
    public Document getServerStatus() {
        return call("server status", () -> backend().getServerStatus());
    }

    @Override
    public synchronized void close() {
        closed = true;
        current.close();
    }

    @Override
    public void closeCursors(List<Long> cursorIds) {
        run("close cursors", () -> backend().closeCursors(cursorIds));
    }

    @Override
    public Clock getClock() {
        return current.getClock();
    }

    @Override
    public void enableOplog() {
        backend().enableOplog();
    }

    @Override
    public void disableOplog() {
        backend().disableOplog();
    }

    @Override
    public MongoDatabase resolveDatabase(String database) {
        return call("open " + database, () -> backend().resolveDatabase(database));
    }

    @Override
    public MongoBackend version(MongoVersion version) {
        backend().version(version);
        return this;
    }
}
