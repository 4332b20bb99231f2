// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.procfs;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups started by {@code smtcheck launch} when runtime_monitor is not loaded: one small JSON file
 * per group in a directory, read by the daemon's userspace monitor. Each file is written whole
 * (temporary file, then rename) so that a reader never sees half of one.
 */
public final class LaunchRegistry {
    /** One launched group. */
    public record Entry(int pgid, int jobId, int workers, String command, long startedEpochSeconds) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(LaunchRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    public LaunchRegistry(Path dir) {
        this.dir = dir;
    }

    public Path directory() {
        return dir;
    }

    public void add(Entry e) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".launch-", ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), e);
            Files.move(tmp, dir.resolve(e.pgid() + ".json"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public void remove(int pgid) throws IOException {
        Files.deleteIfExists(dir.resolve(pgid + ".json"));
    }

    /** Every readable entry; an unreadable file is reported and skipped. */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "[0-9]*.json")) {
            for (Path f : files) {
                try {
                    Entry e = JSON.readValue(f.toFile(), Entry.class);
                    if (e.pgid() <= 0 || e.workers() < 1 || !f.getFileName().toString().equals(e.pgid() + ".json")) {
                        LOG.warn("ignoring launch record {}: inconsistent fields", f);
                        continue;
                    }
                    out.add(e);
                } catch (IOException ex) {
                    LOG.warn("ignoring launch record {}: {}", f, ex.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list launch records in {}: {}", dir, e.getMessage());
        }
        out.sort((a, b) -> Integer.compare(a.pgid(), b.pgid()));
        return out;
    }
}
