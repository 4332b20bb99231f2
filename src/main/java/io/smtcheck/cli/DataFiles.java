// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.model.DataJson;
import io.smtcheck.model.Dataset;
import io.smtcheck.profiles.ProfileStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Reading data files (profiles, baselines, samples) for commands. */
final class DataFiles {
    private DataFiles() {
    }

    /** Parses and validates a data file; every problem is an {@link InputException} naming the file. */
    static Dataset read(Path file) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such file");
        } catch (IOException e) {
            throw new InputException(file + ": cannot be read: " + e.getMessage());
        }
        return DataJson.parseFile(content, file.toString());
    }

    /** One warning line per document the store skipped. */
    static void warnSkipped(PrintWriter err, String command, List<ProfileStore.Skipped> skipped) {
        for (ProfileStore.Skipped s : skipped) {
            err.println(command + ": warning: skipped invalid document in " + s);
        }
    }
}
