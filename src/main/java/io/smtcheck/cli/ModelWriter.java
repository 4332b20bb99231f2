// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.model.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** Writing new model files into a model directory, for {@code model deploy} and {@code train}. */
final class ModelWriter {
    private ModelWriter() {
    }

    /**
     * Writes {@code content} as a new model file in {@code dir} whose timestamp is {@code now},
     * or one second past the newest file there when that is later (clock skew must not hide a new
     * model behind an older one). The file appears atomically: it is written under a hidden
     * temporary name and renamed, so a reader never sees it half written.
     *
     * @return the new file
     */
    static Path writeNew(Path dir, byte[] content, Instant now) throws IOException {
        Files.createDirectories(dir);
        Instant stamp = now.truncatedTo(ChronoUnit.SECONDS);
        Optional<Path> newest = ModelFiles.newest(dir);
        if (newest.isPresent()) {
            Instant last = ModelFiles.timestamp(newest.get());
            if (!stamp.isAfter(last)) {
                stamp = last.plusSeconds(1);
            }
        }
        Path target = dir.resolve(ModelFiles.fileName(stamp));
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
        Files.write(tmp, content);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return target;
    }
}
