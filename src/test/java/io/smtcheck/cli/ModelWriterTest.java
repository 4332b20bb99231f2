// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelWriterTest {
    private static final byte[] CONTENT = "{}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void newFilesNeverSortBeforeExistingOnes() throws Exception {
        Files.write(dir.resolve("prediction_model_20300101T000000Z.json"), CONTENT);
        Path written = ModelWriter.writeNew(dir, CONTENT, Instant.parse("2025-06-01T12:00:00Z"));
        assertEquals("prediction_model_20300101T000001Z.json", written.getFileName().toString());
        Path again = ModelWriter.writeNew(dir, CONTENT, Instant.parse("2031-06-01T12:00:00.7Z"));
        assertEquals("prediction_model_20310601T120000Z.json", again.getFileName().toString());
        try (var files = Files.list(dir)) {
            assertEquals(3, files.count(), "no temporary file left behind");
        }
    }
}
