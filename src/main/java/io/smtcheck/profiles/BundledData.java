// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import io.smtcheck.model.DataJson;
import io.smtcheck.model.Dataset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code trained_model/} directory shipped inside the jar (or on the class path when running
 * from a build tree): the trained model and the sample dataset it was trained from. Lets commands
 * and the daemon work before anything is configured.
 */
public final class BundledData {
    /** The shipped sample dataset's file name inside {@code trained_model/}. */
    public static final String SAMPLE_DATASET = "sample_dataset.json";

    private static FileSystem jarFileSystem;

    private BundledData() {
    }

    /**
     * The shipped model directory, readable with {@link java.nio.file.Files} (inside the jar it
     * is a zip file system path). Hand it to {@link io.smtcheck.model.ModelLoader}.
     */
    public static synchronized Path modelDirectory() {
        try {
            URI location = BundledData.class.getProtectionDomain().getCodeSource().getLocation().toURI();
            Path codeSource = Path.of(location);
            if (Files.isDirectory(codeSource)) {
                return codeSource.resolve("trained_model");
            }
            if (jarFileSystem == null) {
                jarFileSystem = FileSystems.newFileSystem(codeSource);
            }
            return jarFileSystem.getPath("/trained_model");
        } catch (URISyntaxException | IOException e) {
            throw new UncheckedIOException(new IOException("cannot open the bundled trained_model directory: " + e.getMessage(), e));
        }
    }

    /** The shipped sample dataset (synthetic; see docs/scores-and-models.md). */
    public static Dataset sampleDataset() {
        Path file = modelDirectory().resolve(SAMPLE_DATASET);
        try {
            return DataJson.parseFile(Files.readAllBytes(file), "bundled " + SAMPLE_DATASET);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
