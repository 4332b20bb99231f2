// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the current prediction model of a model directory ({@link ModelFiles} naming: the newest
 * {@code prediction_model_<TIMESTAMP>.json} wins), and never lets a bad file replace a good model.
 *
 * <p>{@link #reload()} looks at the directory again. When the newest file is new or has changed
 * and is valid, it becomes the current model. When it is invalid, the current model stays and the
 * result says why. At the first load, when there is no current model yet, older files are tried in
 * turn, so a bad newest file does not leave the daemon without a model when a good one exists.
 *
 * <p>Thread-safe: {@link #current()} may be read from any thread while another reloads.
 */
public final class ModelLoader {
    /** A model and the file it came from. */
    public record Loaded(PredictionModel model, Path file) {
    }

    /**
     * What a reload did.
     *
     * @param current  the model in force afterwards (empty when no valid model was ever found)
     * @param changed  whether {@code current} is a different model than before the reload
     * @param problems why files were rejected, one line each, naming the file and the field; empty
     *                 when all went well
     */
    public record Result(Optional<Loaded> current, boolean changed, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    private final Path dir;
    private volatile Loaded current;
    private volatile String rejection;
    private Path lastFile;
    private byte[] lastContent;
    private Path rejectedFile;
    private byte[] rejectedContent;

    public ModelLoader(Path dir) {
        this.dir = dir;
    }

    public Path directory() {
        return dir;
    }

    /** The model in force, if one was ever loaded. */
    public Optional<Loaded> current() {
        return Optional.ofNullable(current);
    }

    /**
     * Why the newest file in the directory is not the model in force, if it is not: the last
     * rejection, kept until a valid newer file is loaded (for status displays).
     */
    public Optional<String> rejection() {
        return Optional.ofNullable(rejection);
    }

    /**
     * Looks at the directory and loads the newest model if it is new and valid. A file that was
     * rejected before is not reported again until its content changes.
     */
    public synchronized Result reload() {
        List<String> problems = new ArrayList<>();
        List<Path> files;
        try {
            files = ModelFiles.list(dir);
        } catch (IOException e) {
            problems.add(dir + ": cannot list the model directory: " + e.getMessage() + keeping());
            return new Result(current(), false, problems);
        }
        if (files.isEmpty()) {
            problems.add(dir + ": no " + ModelFiles.NAMING + " file" + keeping());
            return new Result(current(), false, problems);
        }
        // Without a model yet, fall back to older files; with one, only a newer valid file may replace it.
        List<Path> candidates = current == null ? files : files.subList(0, 1);
        for (Path file : candidates) {
            byte[] content;
            try {
                content = Files.readAllBytes(file);
            } catch (IOException e) {
                problems.add(file + ": cannot be read: " + e.getMessage() + keepingOrSkipping());
                continue;
            }
            if (file.equals(lastFile) && Arrays.equals(content, lastContent)) {
                return new Result(current(), false, problems);
            }
            if (file.equals(rejectedFile) && Arrays.equals(content, rejectedContent)) {
                continue;
            }
            try {
                PredictionModel model = ModelJson.parse(content, file.toString());
                boolean changed = current == null || !current.model().equals(model);
                current = new Loaded(model, file);
                lastFile = file;
                lastContent = content;
                if (file.equals(files.get(0))) {
                    rejection = null;
                }
                return new Result(current(), changed, problems);
            } catch (InvalidDataException e) {
                String problem = e.getMessage() + keepingOrSkipping();
                problems.add(problem);
                if (file.equals(files.get(0))) {
                    rejection = problem;
                    rejectedFile = file;
                    rejectedContent = content;
                }
            }
        }
        if (current == null && problems.isEmpty()) {
            problems.add(dir + ": no valid model file" + (rejection == null ? "" : "; newest: " + rejection));
        }
        return new Result(current(), false, problems);
    }

    /** For a file that was passed over: the model kept instead, or at the first load, that it was skipped. */
    private String keepingOrSkipping() {
        return current == null ? " (skipped)" : keeping();
    }

    private String keeping() {
        return current == null ? "" : " (keeping " + current.file().getFileName() + ")";
    }
}
