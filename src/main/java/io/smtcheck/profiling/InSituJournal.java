// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an in-situ profile of one job has measured so far, one file per job in the daemon's state
 * directory: a job whose group exits mid-way (or a daemon that stops) resumes with the next group
 * of the same job. Steps measured under other settings are not reused. Each step is written as it
 * ends (a new file moved over the old, so that a crash leaves one or the other).
 */
final class InSituJournal {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final String settings;
    private final Map<String, JsonNode> steps = new LinkedHashMap<>();

    private InSituJournal(Path file, String settings) {
        this.file = file;
        this.settings = settings;
    }

    /**
     * The job's journal in {@code dir}, with what it holds under {@code settings}. An unreadable
     * file is set aside (renamed {@code .bad}) and the profile starts over: it loses only time.
     */
    static InSituJournal open(Path dir, int jobId, String settings) throws IOException {
        Files.createDirectories(dir);
        InSituJournal j = new InSituJournal(dir.resolve("job-" + jobId + ".json"), settings);
        if (Files.exists(j.file)) {
            try {
                JsonNode n = JSON.readTree(j.file.toFile());
                if (settings.equals(n.path("settings").asText()) && n.path("steps").isObject()) {
                    n.get("steps").fields().forEachRemaining(e -> j.steps.put(e.getKey(), e.getValue()));
                }
            } catch (IOException e) {
                Files.move(j.file, j.file.resolveSibling(j.file.getFileName() + ".bad"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return j;
    }

    JsonNode get(String step) {
        return steps.get(step);
    }

    Map<String, JsonNode> steps() {
        return Map.copyOf(steps);
    }

    void put(String step, JsonNode value) throws IOException {
        steps.put(step, value);
        ObjectNode n = JSON.createObjectNode().put("settings", settings);
        ObjectNode s = n.putObject("steps");
        steps.forEach(s::set);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(n));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Drops the journal: the profile is written, or its windows were refused. */
    void delete() throws IOException {
        steps.clear();
        Files.deleteIfExists(file);
    }

    Path file() {
        return file;
    }
}
