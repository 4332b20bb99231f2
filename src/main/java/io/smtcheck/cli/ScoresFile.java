// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.smtcheck.sched.PairingInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code plan --scores} file:
 * {@code {"workloads":[{"id":"a","workers":1},...], "matrix":[[...],...], "solo":0.0}}.
 */
final class ScoresFile {
    record Workload(String id, Integer workers) {
    }

    record Content(List<Workload> workloads, double[][] matrix, Double solo) {
    }

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    private ScoresFile() {
    }

    static PairingInput read(Path path) {
        Content c;
        try {
            c = JSON.readValue(Files.readAllBytes(path), Content.class);
        } catch (NoSuchFileException e) {
            throw new InputException(path + ": no such file");
        } catch (JsonProcessingException e) {
            throw new InputException(path + ": " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw new InputException(path + ": " + e.getMessage());
        }
        if (c == null || c.workloads() == null) {
            throw new InputException(path + ": missing \"workloads\"");
        }
        if (c.matrix() == null) {
            throw new InputException(path + ": missing \"matrix\"");
        }
        List<String> ids = c.workloads().stream().map(w -> w == null ? null : w.id()).toList();
        int[] workers = new int[c.workloads().size()];
        for (int i = 0; i < workers.length; i++) {
            Workload w = c.workloads().get(i);
            workers[i] = w == null || w.workers() == null ? 1 : w.workers();
        }
        try {
            return new PairingInput(ids, workers, c.matrix(), c.solo() == null ? 0.0 : c.solo());
        } catch (IllegalArgumentException e) {
            throw new InputException(path + ": " + e.getMessage());
        }
    }
}
