// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Model files in a directory. A model file is named {@code prediction_model_<TIMESTAMP>.json}
 * with the UTC timestamp {@code yyyyMMdd'T'HHmmss'Z'} (for example
 * {@code prediction_model_20250314T092653Z.json}), as smtcheck writes them, or in Unix seconds
 * ({@code prediction_model_1741944413.json}), as the original SMTcheck's tools do; the newest
 * timestamp of either naming wins. Other files, including the hidden temporary files of a model
 * being written, are ignored.
 */
public final class ModelFiles {
    private static final Pattern NAME = Pattern.compile("prediction_model_(?:(\\d{8}T\\d{6}Z)|(\\d{1,11}))\\.json");
    /** What a message says a model file is named. */
    public static final String NAMING = "prediction_model_<yyyyMMddTHHmmssZ or Unix seconds>.json";
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private ModelFiles() {
    }

    /** Whether {@code file}'s name is a model file name. */
    public static boolean isModelFile(Path file) {
        return NAME.matcher(file.getFileName().toString()).matches();
    }

    /** The model files in {@code dir}, newest first. */
    public static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "not a directory");
        }
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(ModelFiles::isModelFile).filter(Files::isRegularFile).forEach(files::add);
        }
        files.sort(Comparator.comparing(ModelFiles::timestamp)
                .thenComparing((Path p) -> p.getFileName().toString()).reversed());
        return files;
    }

    /** The newest model file in {@code dir}, if there is one. */
    public static Optional<Path> newest(Path dir) throws IOException {
        List<Path> files = list(dir);
        return files.isEmpty() ? Optional.empty() : Optional.of(files.get(0));
    }

    /** Reads and validates one model file. */
    public static PredictionModel read(Path file) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InvalidDataException(file + ": no such file");
        } catch (IOException e) {
            throw new InvalidDataException(file + ": cannot be read: " + e.getMessage());
        }
        return ModelJson.parse(content, file.toString());
    }

    /**
     * Reads a model from a file, or the newest model of a directory.
     *
     * @throws InvalidDataException when there is none or it is invalid
     */
    public static PredictionModel readFileOrNewest(Path fileOrDir) {
        return read(resolve(fileOrDir));
    }

    /** {@code fileOrDir} itself, or the newest model file in it when it is a directory. */
    public static Path resolve(Path fileOrDir) {
        if (!Files.isDirectory(fileOrDir)) {
            return fileOrDir;
        }
        try {
            return newest(fileOrDir).orElseThrow(() -> new InvalidDataException(fileOrDir
                    + ": no " + NAMING + " file in this directory"));
        } catch (IOException e) {
            throw new InvalidDataException(fileOrDir + ": cannot be listed: " + e.getMessage());
        }
    }

    /** The model file name for {@code stamp}, truncated to the second. */
    public static String fileName(Instant stamp) {
        return "prediction_model_" + STAMP.format(stamp.truncatedTo(ChronoUnit.SECONDS)) + ".json";
    }

    /** The timestamp in a model file's name. */
    public static Instant timestamp(Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(file + " is not a model file name");
        }
        if (m.group(1) != null) {
            return STAMP.parse(m.group(1), Instant::from);
        }
        return Instant.ofEpochSecond(Long.parseLong(m.group(2)));
    }
}
