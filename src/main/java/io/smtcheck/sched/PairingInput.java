// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import io.smtcheck.model.ScoreTable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What pair selection needs: the workloads with their worker counts, the symbiotic score of every
 * pair (a workload with two or more workers may pair with itself: the diagonal), and the score of
 * a core holding a lone thread.
 *
 * @param ids     workload ids, unique and non-empty
 * @param workers hardware threads each workload occupies, at least 1
 * @param scores  square, symmetric, finite
 * @param solo    finite
 */
public record PairingInput(List<String> ids, int[] workers, double[][] scores, double solo) {

    /** @throws IllegalArgumentException naming the first workload or entry that is wrong */
    public PairingInput {
        int n = ids.size();
        if (workers.length != n) {
            throw new IllegalArgumentException(workers.length + " worker counts for " + n + " workloads");
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < n; i++) {
            String id = ids.get(i);
            if (id == null || id.isBlank()) {
                throw new IllegalArgumentException("workload " + i + " has no id");
            }
            if (!seen.add(id)) {
                throw new IllegalArgumentException("workload id '" + id + "' appears twice");
            }
            if (workers[i] < 1) {
                throw new IllegalArgumentException("workload '" + id + "' has " + workers[i]
                        + " workers; at least 1 is needed");
            }
        }
        if (scores.length != n) {
            throw new IllegalArgumentException("score matrix has " + scores.length + " rows for " + n + " workloads");
        }
        for (int i = 0; i < n; i++) {
            if (scores[i] == null || scores[i].length != n) {
                throw new IllegalArgumentException("score matrix row " + i + " ('" + ids.get(i) + "') has "
                        + (scores[i] == null ? 0 : scores[i].length) + " entries; the matrix must be " + n + "x" + n);
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(scores[i][j])) {
                    throw new IllegalArgumentException("score of '" + ids.get(i) + "' with '" + ids.get(j)
                            + "' is " + scores[i][j]);
                }
                if (scores[i][j] != scores[j][i]) {
                    throw new IllegalArgumentException("score matrix is not symmetric: '" + ids.get(i) + "' with '"
                            + ids.get(j) + "' is " + scores[i][j] + " but the reverse is " + scores[j][i]);
                }
            }
        }
        if (!Double.isFinite(solo)) {
            throw new IllegalArgumentException("solo score is " + solo);
        }
        ids = List.copyOf(ids);
    }

    /** The planner's input from a score table: keys as ids, worker counts, the scores and its solo score. O(N²). */
    public static PairingInput of(ScoreTable table) {
        List<ScoreTable.Entry> entries = table.entries();
        List<String> ids = new ArrayList<>(entries.size());
        int[] workers = new int[entries.size()];
        for (int i = 0; i < workers.length; i++) {
            ids.add(entries.get(i).key());
            workers[i] = entries.get(i).workers();
        }
        return new PairingInput(ids, workers, table.matrix(), table.solo());
    }

    /**
     * The input of the workloads {@code keep} alone, in this input's order, for planning them apart
     * from the rest.
     *
     * @throws IllegalArgumentException naming a workload of {@code keep} that this input does not have
     */
    public PairingInput subset(Collection<String> keep) {
        Set<String> wanted = new HashSet<>(keep);
        for (String id : wanted) {
            if (!ids.contains(id)) {
                throw new IllegalArgumentException("workload id '" + id + "' is not one of the input's");
            }
        }
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (wanted.contains(ids.get(i))) {
                at.add(i);
            }
        }
        int n = at.size();
        List<String> subIds = new ArrayList<>(n);
        int[] subWorkers = new int[n];
        double[][] subScores = new double[n][n];
        for (int i = 0; i < n; i++) {
            subIds.add(ids.get(at.get(i)));
            subWorkers[i] = workers[at.get(i)];
            for (int j = 0; j < n; j++) {
                subScores[i][j] = scores[at.get(i)][at.get(j)];
            }
        }
        return new PairingInput(subIds, subWorkers, subScores, solo);
    }

    public int size() {
        return ids.size();
    }

    public long threads() {
        long t = 0;
        for (int w : workers) {
            t += w;
        }
        return t;
    }

    public double score(int a, int b) {
        return scores[a][b];
    }
}
