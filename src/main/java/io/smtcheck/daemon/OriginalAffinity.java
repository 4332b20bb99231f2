// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.proc.ProcessTable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The affinity each managed group had before the daemon first pinned it, kept on disk (one small
 * file per group in the state directory) so that a daemon restarted after a crash or SIGKILL still
 * restores the real original, not the pins its predecessor left. A record names the group
 * leader's start time, so a pgid reused by another group is not given a stale record. A group
 * whose leader has exited keeps its record while members are left: its number cannot be reused
 * before the last of them exits. The record also names the CPUs the daemon last pinned the group
 * to, so that a successor can tell its predecessor's pin from someone else's.
 * Best effort: a file that cannot be written or read is reported and the daemon goes on.
 */
final class OriginalAffinity {
    /**
     * @param cpus   the affinity before the daemon first pinned the group
     * @param pinned the CPUs the daemon last pinned it to; null while it has its original
     */
    record Entry(int pgid, long leaderStartTicks, List<Integer> cpus, List<Integer> pinned) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(OriginalAffinity.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final ProcessTable processes;

    OriginalAffinity(Path dir, ProcessTable processes) {
        this.dir = dir;
        this.processes = processes;
    }

    /**
     * The record of this very group (same leader start, or a leaderless group that still has
     * members), if there is one; a stale one is removed.
     */
    Optional<Entry> recall(int pgid) {
        Path f = file(pgid);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            Entry e = JSON.readValue(f.toFile(), Entry.class);
            long start = leaderStart(pgid);
            boolean same = start >= 0 ? e.leaderStartTicks() == start : processes.groupAlive(pgid);
            if (e.pgid() == pgid && same && e.cpus() != null && !e.cpus().isEmpty()) {
                return Optional.of(e);
            }
            LOG.info("group {}: the recorded original affinity belongs to an earlier group of that number", pgid);
        } catch (IOException ex) {
            LOG.warn("cannot read {}: {}", f, ex.getMessage());
        }
        forget(pgid);
        return Optional.empty();
    }

    /** The groups recorded here; the caller checks each with {@link #recall}. */
    List<Integer> recorded() {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                try {
                    out.add(Integer.parseInt(f.getFileName().toString().replace(".json", "")));
                } catch (NumberFormatException e) {
                    LOG.warn("{} names no process group: ignored", f);
                }
            }
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            LOG.warn("cannot list {}: {}", dir, e.getMessage());
        }
        Collections.sort(out);
        return out;
    }

    /** Records a group's original affinity before it is first pinned. */
    void remember(int pgid, List<Integer> cpus, List<Integer> pinned) {
        write(new Entry(pgid, leaderStart(pgid), cpus, pinned));
    }

    /** Records the CPUs a pin has put the group on (null: its original again). */
    void pinned(Entry was, List<Integer> cpus) {
        write(new Entry(was.pgid(), was.leaderStartTicks(), was.cpus(), cpus));
    }

    private void write(Entry entry) {
        int pgid = entry.pgid();
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".original-", ".tmp");
            try {
                JSON.writeValue(tmp.toFile(), entry);
                Files.move(tmp, file(pgid), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            LOG.warn("cannot record the original affinity of group {} in {}: {}", pgid, dir, e.getMessage());
        }
    }

    void forget(int pgid) {
        try {
            Files.deleteIfExists(file(pgid));
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", file(pgid), e.getMessage());
        }
    }

    private long leaderStart(int pgid) {
        return processes.startTicks(pgid).orElse(-1);
    }

    private Path file(int pgid) {
        return dir.resolve(pgid + ".json");
    }
}
