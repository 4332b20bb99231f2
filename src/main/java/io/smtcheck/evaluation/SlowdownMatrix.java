// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.JsonRead;
import io.smtcheck.model.Profile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The true pairwise slowdowns: {@code slowdown[i][j]} is how much slower workload i runs beside
 * workload j on the sibling thread of one core than alone (0.25: at 75 % of its speed alone). The
 * diagonal is a workload beside another thread of itself.
 *
 * <p>The file form: {@code {"workloads": ["a", "b"], "slowdown": [[0.2, 0.5], [0.1, 0.3]]}}.
 */
public record SlowdownMatrix(List<String> workloads, double[][] slowdown) {
    private static final Set<String> FIELDS = Set.of("workloads", "slowdown");

    /** @throws InvalidDataException naming the workload or entry that is wrong */
    public SlowdownMatrix {
        int n = workloads.size();
        if (n == 0) {
            throw new InvalidDataException("workloads: none");
        }
        if (new HashSet<>(workloads).size() != n) {
            throw new InvalidDataException("workloads: a name appears twice");
        }
        if (slowdown.length != n) {
            throw new InvalidDataException("slowdown: " + slowdown.length + " rows for " + n + " workloads");
        }
        for (int i = 0; i < n; i++) {
            if (slowdown[i].length != n) {
                throw new InvalidDataException("slowdown[" + i + "]: " + slowdown[i].length + " entries for " + n
                        + " workloads");
            }
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(slowdown[i][j])) {
                    throw new InvalidDataException("slowdown[" + i + "][" + j + "]: " + slowdown[i][j] + " is not finite");
                }
            }
        }
        workloads = List.copyOf(workloads);
    }

    public int indexOf(String workload) {
        return workloads.indexOf(workload);
    }

    /**
     * The speed of a thread of workload {@code a} beside one of {@code b}, relative to alone:
     * {@code 1 − slowdown}, clamped to [0, 1] (a measured slowdown below 0 is noise, not a gain).
     */
    public double speed(int a, int b) {
        double s = 1 - slowdown[a][b];
        return s < 0 ? 0 : s > 1 ? 1 : s;
    }

    /**
     * The mean slowdown of every ordered pair over a dataset's co-run samples, named by the
     * profiles' names.
     *
     * @throws InvalidDataException naming a pair of profiles without a sample
     */
    public static SlowdownMatrix of(Dataset data, String source) {
        List<Profile> profiles = data.profiles();
        Map<Integer, Integer> index = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (Profile p : profiles) {
            index.put(p.jobId(), names.size());
            names.add(p.name());
        }
        int n = names.size();
        double[][] sum = new double[n][n];
        int[][] count = new int[n][n];
        for (CoRunSample s : data.samples()) {
            Integer a = index.get(s.jobA());
            Integer b = index.get(s.jobB());
            if (a == null || b == null) {
                continue;
            }
            sum[a][b] += s.slowdownA();
            count[a][b]++;
            sum[b][a] += s.slowdownB();
            count[b][a]++;
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (count[i][j] == 0) {
                    throw new InvalidDataException(source + ": samples: no co-run of '" + names.get(i) + "' beside '"
                            + names.get(j) + "', so its slowdown is not known");
                }
                sum[i][j] /= count[i][j];
            }
        }
        return new SlowdownMatrix(names, sum);
    }

    /** Reads the file form; every problem names {@code source} and the field. */
    public static SlowdownMatrix parse(JsonNode root, String source) {
        try {
            JsonRead.object(root, "");
            JsonRead.onlyFields(root, "", FIELDS);
            List<String> names = new ArrayList<>();
            List<JsonNode> w = JsonRead.array(root, "workloads", "");
            for (int i = 0; i < w.size(); i++) {
                if (!w.get(i).isTextual() || w.get(i).textValue().isBlank()) {
                    throw new InvalidDataException("workloads[" + i + "]: expected a name");
                }
                names.add(w.get(i).textValue());
            }
            List<JsonNode> rows = JsonRead.array(root, "slowdown", "");
            double[][] m = new double[rows.size()][];
            for (int i = 0; i < m.length; i++) {
                List<JsonNode> row = JsonRead.array(rows.get(i), "slowdown[" + i + "]");
                m[i] = new double[row.size()];
                for (int j = 0; j < m[i].length; j++) {
                    m[i][j] = JsonRead.number(row.get(j), "slowdown[" + i + "][" + j + "]");
                }
            }
            return new SlowdownMatrix(names, m);
        } catch (InvalidDataException e) {
            throw e.in(source);
        }
    }
}
