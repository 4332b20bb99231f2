// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.SyntheticDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The embedded store on a real, small file system that fills up and then has room again. */
class StoreFullDiskTest {
    private static final Dataset DATA = SyntheticDataset.generate(SyntheticDataset.SEED);

    @TempDir
    Path dir;

    private SmallDisk disk;
    private Path small;
    private ProfileStore store;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final ch.qos.logback.classic.Logger root =
            (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);

    @BeforeEach
    void mountASmallFileSystem() throws Exception {
        disk = SmallDisk.mount(dir.resolve("small"));
        small = disk.root();
        log.start();
        root.addAppender(log);
    }

    @AfterEach
    void unmount() throws Exception {
        root.detachAppender(log);
        if (store != null) {
            store.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    void writesFailCountedOnAFullDiskAndWorkAgainWhenThereIsRoom() throws Exception {
        Path db = small.resolve("db");
        store = ProfileStore.embedded(db, ProfileStoreTest.FAST);
        store.importData(DATA);
        assertTrue(store.health().ok());
        Path filler = small.resolve("filler");
        SmallDisk.fill(filler);
        log.list.clear();

        int failed = 0;
        for (int i = 0; i < 8; i++) {
            int n = i;
            StoreUnavailableException e = assertThrows(StoreUnavailableException.class,
                    () -> store.putMeasurement("full", "k" + n, bulky()));
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
            failed++;
        }
        // The daemon's kind of call: one attempt, a one-line error, counted. (The daemon's profile source
        // keeps the request and files it later: StoreProfileSourceTest.)
        StoreUnavailableException once = assertThrows(StoreUnavailableException.class,
                () -> new RequestCollection(store.gateway(), MongoGateway.Patience.ONCE).file(4242));
        assertFalse(once.getMessage().contains("\n"), once.getMessage());
        StoreHealth health = store.health();
        assertFalse(health.ok(), health.toString());
        assertTrue(health.errors() >= failed + 1, health.toString());
        assertTrue(health.lastError().contains("No space left on device"), health.toString());
        assertTrue(health.summary().startsWith("failing since "), health.summary());

        // Each failure is counted, not logged: a line or two for the run, and no stack trace.
        List<ILoggingEvent> warnings = log.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
        assertTrue(warnings.size() <= 3, warnings.toString());
        assertTrue(log.list.stream().allMatch(e -> e.getThrowableProxy() == null), log.list.toString());

        Files.delete(filler);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        boolean written = false;
        while (!written && System.nanoTime() < deadline) {
            try {
                store.putMeasurement("full", "after", JsonNodeFactory.instance.objectNode().put("v", 1));
                written = true;
            } catch (StoreUnavailableException e) {
                Thread.sleep(200);
            }
        }
        assertTrue(written, "no write succeeded after space returned: " + store.health());
        assertTrue(store.health().ok(), store.health().toString());
        assertTrue(store.health().errors() >= failed + 1, "the count is kept: " + store.health());
        assertTrue(store.measurements("full").containsKey("after"));
        assertEquals(DATA.profiles(), store.readAllProfiles().items(), "what was written before the disk filled is kept");

        // And the file is sound: it opens again after a restart, with everything in it.
        store.close();
        store = ProfileStore.embedded(db, ProfileStoreTest.FAST);
        assertEquals(DATA.profiles(), store.readAllProfiles().items());
        assertTrue(store.measurements("full").containsKey("after"));
    }

    private static ObjectNode bulky() {
        return JsonNodeFactory.instance.objectNode().put("v", "x".repeat(64 * 1024));
    }
}
