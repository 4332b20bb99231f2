// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The symbiotic scores of every pair of running workload instances, kept up to date one instance
 * at a time.
 *
 * <p>Each entry is keyed by an instance key chosen by the caller (the daemon uses
 * {@code "pgid:1234"}; two instances of one job are two entries). {@link #put} and
 * {@link #remove} cost O(N·R) for N entries and R model resources: one row of scores is computed
 * or one slot is moved. {@link #setModel} recomputes everything, O(N²·R).
 *
 * <p><b>Unknown workloads.</b> An entry without a profile, or whose profile lacks some of the
 * model's resources, is <em>unscored</em>. Any pair with an unscored side gets
 * {@link #NEUTRAL_SCORE} = 1.0: each side is assumed to run at half speed, which is what sharing
 * one core by time-slicing would give, with no SMT gain and no extra loss. Profiled pairs usually
 * score above it (the SMT gain) and destructive pairs below it, so the planner pairs known
 * workloads by their merits, prefers an unknown partner to a destructive one, and neither
 * favours nor shuns unknown workloads otherwise.
 *
 * <p><b>Solo.</b> {@link #solo()} is the planner's one constant score for a core holding a single
 * thread with its sibling idle: the mean, weighted by worker count, of each entry's
 * {@linkplain ScoreFormula#alone alone score} ({@code clamp(l3_cache_ipc / single_ipc, 0, 1)} for
 * a scored entry, {@link #UNKNOWN_ALONE} = 1.0 for an unscored one, consistent with the neutral
 * half speed when paired), and 1.0 for an empty table. Since a pair scores at most the sum of its
 * sides' alone scores, two solo cores are usually worth more than one shared core, and the
 * planner pairs threads only when there are more threads than cores.
 *
 * <p><b>Observed pairs.</b> Given {@link ObservedSlowdowns} ({@link #learnFrom}), a pair of
 * instances whose workloads have been observed on one core is scored from each side's slowdown
 * blended by the observation's weight ({@link ObservedSlowdowns#blend}) with its predicted
 * slowdown; in a pair with an unscored side, each side's prediction is the neutral 0.5 (half
 * speed) with a scale factor of 1. Instances are
 * matched to observations by their workload key ({@link #put(String, String, Profile, int)}; the
 * daemon's is the job id), so that a job's observations hold for each of its instances.
 *
 * <p>Not thread-safe: one thread owns a table.
 */
public final class ScoreTable {
    /** The score of any pair with an unscored side: two half-speed threads. */
    public static final double NEUTRAL_SCORE = 1.0;
    /** The alone score assumed for an unscored entry. */
    public static final double UNKNOWN_ALONE = 1.0;

    /**
     * One instance in the table.
     *
     * @param key           the caller's instance key
     * @param profile       its profile, or null when unknown
     * @param workers       hardware threads it occupies
     * @param unscoredReason why it gets neutral scores (no profile, or the model needs resources
     *                      the profile lacks), or null when it is scored
     */
    public record Entry(String key, Profile profile, int workers, String unscoredReason) {
        public boolean scored() {
            return unscoredReason == null;
        }
    }

    /** The slowdown assumed for an unscored side when its observation is blended in: half speed. */
    static final double NEUTRAL_SLOWDOWN = 0.5;

    private PredictionModel model;
    private ObservedSlowdowns observed;
    private final Map<String, Integer> slotOf = new HashMap<>();
    private Entry[] entries = new Entry[16];
    private String[] workloads = new String[16];
    private ScoreFormula.Operand[] operands = new ScoreFormula.Operand[16];
    private double[][] scores = new double[16][16];
    private int size;

    public ScoreTable(PredictionModel model) {
        this.model = Objects.requireNonNull(model, "model");
    }

    public PredictionModel model() {
        return model;
    }

    public int size() {
        return size;
    }

    public boolean contains(String key) {
        return slotOf.containsKey(key);
    }

    /**
     * Adds an instance, or replaces the profile and worker count of the one with this key. O(N·R).
     *
     * @param profile null when the workload has no profile (yet)
     * @throws IllegalArgumentException for a blank key or fewer than one worker
     */
    public void put(String key, Profile profile, int workers) {
        put(key, key, profile, workers);
    }

    /**
     * The same, naming the workload whose observations hold for this instance.
     *
     * @param workload the workload's key in {@link ObservedSlowdowns}
     */
    public void put(String key, String workload, Profile profile, int workers) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("instance key is blank");
        }
        if (workers < 1) {
            throw new IllegalArgumentException("instance '" + key + "' has " + workers + " workers; at least 1 is needed");
        }
        Integer existing = slotOf.get(key);
        int slot;
        if (existing != null) {
            slot = existing;
        } else {
            ensureCapacity(size + 1);
            slot = size++;
            slotOf.put(key, slot);
        }
        workloads[slot] = workload == null ? key : workload;
        setEntry(slot, key, profile, workers);
        computeRow(slot);
    }

    /** Scores observed pairs from {@code observations} from now on, and rescores every pair: O(N²·R). */
    public void learnFrom(ObservedSlowdowns observations) {
        observed = Objects.requireNonNull(observations, "observations");
        for (int i = 0; i < size; i++) {
            computeRow(i);
        }
    }

    /** The observations in use, or null. */
    public ObservedSlowdowns observations() {
        return observed;
    }

    /**
     * Rescores the pairs of instances of workloads {@code a} and {@code b}, after their
     * observation grew. O(N). Returns the largest change of a score.
     */
    public double rescore(String a, String b) {
        double changed = 0;
        for (int i = 0; i < size; i++) {
            if (!workloads[i].equals(a) && !workloads[i].equals(b)) {
                continue;
            }
            String other = workloads[i].equals(a) ? b : a;
            for (int j = 0; j < size; j++) {
                if (workloads[j].equals(other)) {
                    double s = pairScore(i, j);
                    changed = Math.max(changed, Math.abs(s - scores[i][j]));
                    scores[i][j] = s;
                    scores[j][i] = s;
                }
            }
        }
        return changed;
    }

    /** The workload key of an instance. */
    public String workload(String key) {
        return workloads[slot(key)];
    }

    /**
     * The model's predicted slowdown of instance {@code a} beside {@code b}, without observations;
     * NaN when either is unscored.
     */
    public double predictedSlowdown(String a, String b) {
        ScoreFormula.Operand x = operands[slot(a)];
        ScoreFormula.Operand y = operands[slot(b)];
        return x == null || y == null ? Double.NaN : ScoreFormula.slowdown(model, x, y);
    }

    /** Removes an instance; O(N): the last slot moves into its place. */
    public boolean remove(String key) {
        Integer slot = slotOf.remove(key);
        if (slot == null) {
            return false;
        }
        int last = size - 1;
        if (slot != last) {
            entries[slot] = entries[last];
            operands[slot] = operands[last];
            workloads[slot] = workloads[last];
            slotOf.put(entries[slot].key(), slot);
            // Row and column of `last` move to `slot`; the moved entry's self score goes to the diagonal.
            double self = scores[last][last];
            for (int j = 0; j < last; j++) {
                scores[slot][j] = scores[last][j];
                scores[j][slot] = scores[j][last];
            }
            scores[slot][slot] = self;
        }
        entries[last] = null;
        operands[last] = null;
        workloads[last] = null;
        size--;
        return true;
    }

    /** Switches to another model and recomputes every score: O(N²·R). */
    public void setModel(PredictionModel newModel) {
        model = Objects.requireNonNull(newModel, "model");
        for (int i = 0; i < size; i++) {
            setEntry(i, entries[i].key(), entries[i].profile(), entries[i].workers());
        }
        for (int i = 0; i < size; i++) {
            computeRow(i);
        }
    }

    /** The score of two instances (the same key twice: two threads of that instance on one core). */
    public double score(String a, String b) {
        return scores[slot(a)][slot(b)];
    }

    public Entry entry(String key) {
        return entries[slot(key)];
    }

    /** The entries in table order, the order of {@link #matrix()}'s rows. */
    public List<Entry> entries() {
        return List.of(Arrays.copyOf(entries, size));
    }

    /** The worker-weighted mean alone score (see the class comment); 1.0 when empty. */
    public double solo() {
        double sum = 0;
        long threads = 0;
        for (int i = 0; i < size; i++) {
            double alone = operands[i] == null ? UNKNOWN_ALONE : ScoreFormula.alone(operands[i]);
            sum += alone * entries[i].workers();
            threads += entries[i].workers();
        }
        return threads == 0 ? UNKNOWN_ALONE : sum / threads;
    }

    /** A copy of the score matrix in table order. */
    public double[][] matrix() {
        double[][] m = new double[size][];
        for (int i = 0; i < size; i++) {
            m[i] = Arrays.copyOf(scores[i], size);
        }
        return m;
    }

    private int slot(String key) {
        Integer s = slotOf.get(key);
        if (s == null) {
            throw new IllegalArgumentException("no instance '" + key + "' in the score table");
        }
        return s;
    }

    private void setEntry(int slot, String key, Profile profile, int workers) {
        String reason = null;
        ScoreFormula.Operand operand = null;
        if (profile == null) {
            reason = "no profile";
        } else {
            try {
                operand = ScoreFormula.prepare(model, profile);
            } catch (InvalidDataException e) {
                reason = e.getMessage();
            }
        }
        entries[slot] = new Entry(key, profile, workers, reason);
        operands[slot] = operand;
    }

    private void computeRow(int i) {
        ScoreFormula.Operand a = operands[i];
        for (int j = 0; j < size; j++) {
            ScoreFormula.Operand b = operands[j];
            double s = pairScore(i, j);
            scores[i][j] = s;
            scores[j][i] = s;
        }
    }

    private double pairScore(int i, int j) {
        ScoreFormula.Operand a = operands[i];
        ScoreFormula.Operand b = operands[j];
        ObservedSlowdowns.Observed o = observed == null ? null : observed.of(workloads[i], workloads[j]).orElse(null);
        if (o == null) {
            return a == null || b == null ? NEUTRAL_SCORE : ScoreFormula.symbiotic(model, a, b);
        }
        return observedCompat(a, b, o.slowdown(), o.seconds()) + observedCompat(b, a, o.partnerSlowdown(), o.seconds());
    }

    /** A side's compatibility from its slowdown blended with what was observed (see the class comment). */
    private double observedCompat(ScoreFormula.Operand a, ScoreFormula.Operand b, double seen, double seconds) {
        boolean scored = a != null && b != null;
        double predicted = scored ? ScoreFormula.slowdown(model, a, b) : NEUTRAL_SLOWDOWN;
        double scale = scored ? a.scaleFactor() : 1.0;
        return ScoreFormula.clamp01(scale * (1.0 - observed.blend(predicted, seen, seconds)));
    }

    private void ensureCapacity(int needed) {
        if (needed <= entries.length) {
            return;
        }
        int cap = Math.max(needed, entries.length * 2);
        entries = Arrays.copyOf(entries, cap);
        operands = Arrays.copyOf(operands, cap);
        workloads = Arrays.copyOf(workloads, cap);
        double[][] grown = new double[cap][cap];
        for (int i = 0; i < size; i++) {
            System.arraycopy(scores[i], 0, grown[i], 0, size);
        }
        scores = grown;
    }
}
