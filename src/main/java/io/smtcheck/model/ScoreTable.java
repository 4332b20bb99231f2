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

    private PredictionModel model;
    private final Map<String, Integer> slotOf = new HashMap<>();
    private Entry[] entries = new Entry[16];
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
        setEntry(slot, key, profile, workers);
        computeRow(slot);
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

    /** The predicted slowdown of {@code a} beside {@code b} ({@link ScoreFormula#slowdown}); NaN when either is unscored. */
    public double slowdown(String a, String b) {
        ScoreFormula.Operand x = operands[slot(a)];
        ScoreFormula.Operand y = operands[slot(b)];
        return x == null || y == null ? Double.NaN : ScoreFormula.slowdown(model, x, y);
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
            double s = a == null || b == null ? NEUTRAL_SCORE : ScoreFormula.symbiotic(model, a, b);
            scores[i][j] = s;
            scores[j][i] = s;
        }
    }

    private void ensureCapacity(int needed) {
        if (needed <= entries.length) {
            return;
        }
        int cap = Math.max(needed, entries.length * 2);
        entries = Arrays.copyOf(entries, cap);
        operands = Arrays.copyOf(operands, cap);
        double[][] grown = new double[cap][cap];
        for (int i = 0; i < size; i++) {
            System.arraycopy(scores[i], 0, grown[i], 0, size);
        }
        scores = grown;
    }
}
