// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.procfs.ProcessTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The affinity each managed group had before the daemon first pinned it, kept on disk (one small
 * file per group in the state directory) so that a daemon restarted after a crash or SIGKILL still
 * restores the real original, not the pins its predecessor left. A record names the group
 * leader's start time, so a pgid reused by another group is not given a stale record.
 * Best effort: a file that cannot be written or read is reported and the daemon goes on.
 */
final class OriginalAffinity {
    record Entry(int pgid, long leaderStartTicks, List<Integer> cpus) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(OriginalAffinity.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final ProcessTable processes;

    OriginalAffinity(Path dir, ProcessTable processes) {
        this.dir = dir;
        this.processes = processes;
    }

    /** The recorded original of this very group (same leader start), if there is one. */
    Optional<List<Integer>> recall(int pgid) {
        Path f = file(pgid);
        if (!Files.exists(f)) {
            return Optional.empty();
        }
        try {
            Entry e = JSON.readValue(f.toFile(), Entry.class);
            if (e.pgid() == pgid && e.leaderStartTicks() == leaderStart(pgid) && e.cpus() != null
                    && !e.cpus().isEmpty()) {
                return Optional.of(List.copyOf(e.cpus()));
            }
            LOG.info("group {}: the recorded original affinity belongs to an earlier group of that number", pgid);
        } catch (IOException ex) {
            LOG.warn("cannot read {}: {}", f, ex.getMessage());
        }
        forget(pgid);
        return Optional.empty();
    }

    void remember(int pgid, List<Integer> cpus) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".original-", ".tmp");
            try {
                JSON.writeValue(tmp.toFile(), new Entry(pgid, leaderStart(pgid), cpus));
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
