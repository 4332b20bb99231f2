// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.smtcheck.model.JsonRead;
import io.smtcheck.sched.PairingInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code plan --scores} file:
 * {@code {"workloads":[{"id":"a","workers":1},...], "matrix":[[...],...], "solo":0.0}}.
 * {@code workers} defaults to 1 and {@code solo} to 0; unknown fields are rejected.
 */
final class ScoresFile {
    private static final Set<String> TOP = Set.of("workloads", "matrix", "solo");
    private static final Set<String> WORKLOAD = Set.of("id", "workers");

    private ScoresFile() {
    }

    static PairingInput read(Path path) {
        byte[] content;
        try {
            content = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new InputException(path + ": no such file");
        } catch (IOException e) {
            throw new InputException(path + ": cannot be read: " + e.getMessage());
        }
        JsonNode root = JsonRead.document(content, path.toString());
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new InputException(path + ": " + e.getMessage());
        }
    }

    private static PairingInput parse(JsonNode root) {
        JsonRead.object(root, "");
        JsonRead.onlyFields(root, "", TOP);
        List<JsonNode> workloads = JsonRead.array(root, "workloads", "");
        List<String> ids = new ArrayList<>();
        int[] workers = new int[workloads.size()];
        for (int i = 0; i < workers.length; i++) {
            String path = "workloads[" + i + "]";
            JsonNode w = JsonRead.object(workloads.get(i), path);
            JsonRead.onlyFields(w, path, WORKLOAD);
            ids.add(JsonRead.textOr(w, "id", path, null));
            workers[i] = JsonRead.integerOr(w, "workers", path, 1);
        }
        List<JsonNode> rows = JsonRead.array(root, "matrix", "");
        double[][] matrix = new double[rows.size()][];
        for (int i = 0; i < matrix.length; i++) {
            List<JsonNode> row = JsonRead.array(rows.get(i), "matrix[" + i + "]");
            matrix[i] = new double[row.size()];
            for (int j = 0; j < matrix[i].length; j++) {
                matrix[i][j] = JsonRead.number(row.get(j), "matrix[" + i + "][" + j + "]");
            }
        }
        double solo = JsonRead.numberOr(root, "solo", "", 0.0);
        return new PairingInput(ids, workers, matrix, solo);
    }
}
