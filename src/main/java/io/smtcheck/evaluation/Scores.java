// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import io.smtcheck.model.PredictionModel;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.sched.PairingInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The scores a planning policy sees for the jobs that run: the model's predictions, or the truth. */
public interface Scores {
    /** A job has arrived. */
    void add(Trace.Job job);

    /** A job has ended. */
    void remove(Trace.Job job);

    /** The planner's input for the jobs added and not removed, keyed by job id. */
    PairingInput input();

    /**
     * What the daemon plans on: a score table of the jobs' profiles (by payload name) under the
     * model; a payload without a profile gets neutral scores, as in the daemon.
     */
    static Scores predicted(PredictionModel model, Map<String, Profile> profilesByName) {
        ScoreTable table = new ScoreTable(model);
        return new Scores() {
            @Override
            public void add(Trace.Job job) {
                table.put(job.id(), profilesByName.get(job.payload()), job.workers());
            }

            @Override
            public void remove(Trace.Job job) {
                table.remove(job.id());
            }

            @Override
            public PairingInput input() {
                return PairingInput.of(table);
            }
        };
    }

    /**
     * Scores from the true slowdowns, in the model's terms: a pair scores the sum of its two
     * threads' speeds beside each other, a lone thread 1 (its speed alone).
     */
    static Scores truth(SlowdownMatrix matrix) {
        List<Trace.Job> jobs = new ArrayList<>();
        return new Scores() {
            @Override
            public void add(Trace.Job job) {
                jobs.add(job);
            }

            @Override
            public void remove(Trace.Job job) {
                jobs.remove(job);
            }

            @Override
            public PairingInput input() {
                int n = jobs.size();
                List<String> ids = new ArrayList<>(n);
                int[] workers = new int[n];
                int[] payload = new int[n];
                for (int i = 0; i < n; i++) {
                    ids.add(jobs.get(i).id());
                    workers[i] = jobs.get(i).workers();
                    payload[i] = matrix.indexOf(jobs.get(i).payload());
                }
                double[][] scores = new double[n][n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j <= i; j++) {
                        scores[i][j] = matrix.speed(payload[i], payload[j]) + matrix.speed(payload[j], payload[i]);
                        scores[j][i] = scores[i][j];
                    }
                }
                return new PairingInput(ids, workers, scores, 1.0);
            }
        };
    }
}
