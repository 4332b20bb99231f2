// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.ModelFiles;
import io.smtcheck.model.PredictionModel;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.profiles.BundledData;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns profiles, a model and {@code --job} selections into a score table, for {@code scores} and
 * {@code plan --profiles}.
 */
final class WorkloadSelection {
    private static final Pattern JOB = Pattern.compile("(.+?)(?::(\\d+))?");

    private WorkloadSelection() {
    }

    /** The model file given, the newest in the directory given, or the newest shipped one. */
    static ModelChoice model(Path fileOrDir) {
        Path file = ModelFiles.resolve(fileOrDir != null ? fileOrDir : BundledData.modelDirectory());
        return new ModelChoice(ModelFiles.read(file), fileOrDir != null ? file.toString() : "bundled " + file.getFileName());
    }

    record ModelChoice(PredictionModel model, String source) {
    }

    /** A --job value that selects nothing: a command-line error. */
    static final class BadSelectionException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadSelectionException(String message) {
            super(message);
        }
    }

    /**
     * A table of the selected workloads. Without selections: every profile once, with its usual
     * worker count. A selection is {@code NAME} or {@code JOB_ID}, optionally {@code :WORKERS};
     * selecting a workload twice gives two instances, {@code name} and {@code name#2}.
     *
     * @throws BadSelectionException for a selection that is malformed or names no profile
     */
    static ScoreTable table(PredictionModel model, List<Profile> profiles, List<String> selections, String source) {
        ScoreTable table = new ScoreTable(model);
        if (selections == null || selections.isEmpty()) {
            if (profiles.isEmpty()) {
                throw new InvalidDataException(source + ": no profiles");
            }
            for (Profile p : profiles) {
                table.put(p.name(), p, p.workers());
            }
            return table;
        }
        Map<String, Profile> byName = new HashMap<>();
        Map<Integer, Profile> byJob = new HashMap<>();
        for (Profile p : profiles) {
            byName.put(p.name(), p);
            byJob.put(p.jobId(), p);
        }
        Map<String, Integer> seen = new HashMap<>();
        for (String s : selections) {
            Matcher m = JOB.matcher(s);
            if (!m.matches()) {
                throw new BadSelectionException("--job '" + s + "': expected NAME or JOB_ID, optionally :WORKERS");
            }
            String ref = m.group(1);
            Profile p = byName.get(ref);
            if (p == null && ref.chars().allMatch(Character::isDigit) && ref.length() < 10) {
                p = byJob.get(Integer.parseInt(ref));
            }
            if (p == null) {
                throw new BadSelectionException("--job '" + s + "': no profile named or numbered '" + ref + "' in " + source);
            }
            int workers = p.workers();
            if (m.group(2) != null) {
                workers = m.group(2).length() > 4 ? 0 : Integer.parseInt(m.group(2));
                if (workers < 1 || workers > 4096) {
                    throw new BadSelectionException("--job '" + s + "': workers must be 1 to 4096");
                }
            }
            int n = seen.merge(p.name(), 1, Integer::sum);
            table.put(n == 1 ? p.name() : p.name() + "#" + n, p, workers);
        }
        return table;
    }
}
