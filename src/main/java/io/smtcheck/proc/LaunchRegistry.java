// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups started by {@code smtcheck launch} when runtime_monitor is not loaded: one small JSON file
 * per group in a directory, read by the daemon's userspace monitor. Each file is written whole
 * (temporary file, then rename) so that a reader never sees half of one.
 */
public final class LaunchRegistry {
    /**
     * One launched group.
     *
     * @param leaderStartTicks when the group's leader (pid {@code pgid}) started, in clock ticks
     *                         since boot (field 22 of /proc/PID/stat): a record whose leader has
     *                         another start time is left over from an earlier group with that number
     */
    public record Entry(int pgid, int jobId, int workers, String command, long startedEpochSeconds,
            long leaderStartTicks) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(LaunchRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    /** Parsed records by file, with the modification time they were read at: a scan re-reads only what changed. */
    private final Map<Path, Map.Entry<FileTime, Entry>> parsed = new HashMap<>();

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

    /** Removes this very record, not one a new launcher has written for the same pgid meanwhile. */
    public synchronized void remove(Entry e) throws IOException {
        Path f = dir.resolve(e.pgid() + ".json");
        if (Files.exists(f) && e.equals(read(f))) {
            Files.deleteIfExists(f);
        }
    }

    /** Every readable entry; an unreadable file is reported (once) and skipped. */
    public synchronized List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            parsed.clear();
            return out;
        }
        Set<Path> present = new HashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "[0-9]*.json")) {
            for (Path f : files) {
                present.add(f);
                FileTime modified;
                try {
                    modified = Files.getLastModifiedTime(f);
                } catch (IOException ex) {
                    continue; // removed meanwhile
                }
                Map.Entry<FileTime, Entry> known = parsed.get(f);
                if (known == null || !known.getKey().equals(modified)) {
                    known = new AbstractMap.SimpleImmutableEntry<>(modified, read(f));
                    parsed.put(f, known);
                }
                if (known.getValue() != null) {
                    out.add(known.getValue());
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot list launch records in {}: {}", dir, e.getMessage());
        }
        parsed.keySet().retainAll(present);
        out.sort((a, b) -> Integer.compare(a.pgid(), b.pgid()));
        return out;
    }

    private static Entry read(Path f) {
        try {
            Entry e = JSON.readValue(f.toFile(), Entry.class);
            if (e.pgid() <= 0 || e.workers() < 1 || !f.getFileName().toString().equals(e.pgid() + ".json")) {
                LOG.warn("ignoring launch record {}: inconsistent fields", f);
                return null;
            }
            return e;
        } catch (IOException ex) {
            LOG.warn("ignoring launch record {}: {}", f, ex.getMessage());
            return null;
        }
    }
}
