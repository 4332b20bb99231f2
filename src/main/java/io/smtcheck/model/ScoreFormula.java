// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.List;

/**
 * The symbiotic score of two workloads on the sibling threads of one core (docs/architecture.md §3).
 * For A beside B, over the model's resources i:
 * <pre>
 * contention_i = sens_A_i × int_B_i × activation_i(usage_A_i, usage_B_i)
 * features_A   = [min_base_slowdown_A, contention_1, ..., contention_R]
 * slowdown_A   = intercept + Σ coef_j × features_A[j]
 * compat_A     = clamp(scale_factor_A × (1 − slowdown_A), 0, 1),   scale_factor = l3_cache_ipc / single_ipc
 * symbiotic    = compat_A + compat_B                                 (in [0, 2])
 * </pre>
 * {@code min_base_slowdown_A} is the smallest base slowdown of A over the model's resources.
 * Pure functions; a profile is first {@linkplain #prepare prepared} against a model so that a
 * pair costs O(R) with no lookups.
 */
public final class ScoreFormula {
    private ScoreFormula() {
    }

    /**
     * A profile's numbers laid out in the model's resource order.
     *
     * @param scaleFactor clamped to be finite; the profile guarantees both IPCs are positive
     */
    public record Operand(double[] sensitivity, double[] intensity, double[] usage, double minBaseSlowdown,
            double scaleFactor) {
    }

    /**
     * Lays a profile out for {@code model}.
     *
     * @throws InvalidDataException when the profile lacks some of the model's resources
     */
    public static Operand prepare(PredictionModel model, Profile profile) {
        List<String> missing = profile.missingResources(model);
        if (!missing.isEmpty()) {
            throw new InvalidDataException("profile " + profile.label() + " has no data for the model's resource"
                    + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing));
        }
        int r = model.resourceCount();
        double[] sens = new double[r];
        double[] inten = new double[r];
        double[] usage = new double[r];
        double minBase = Double.POSITIVE_INFINITY;
        for (int i = 0; i < r; i++) {
            ResourceProfile rp = profile.resources().get(model.resources().get(i).name());
            sens[i] = rp.sensitivity();
            inten[i] = rp.intensity();
            usage[i] = rp.usage();
            minBase = Math.min(minBase, rp.baseSlowdown());
        }
        return new Operand(sens, inten, usage, minBase, profile.scaleFactor());
    }

    /** The feature vector of {@code a} running beside {@code b}: [min_base_slowdown, contention_1..R]. */
    public static double[] features(PredictionModel model, Operand a, Operand b) {
        int r = model.resourceCount();
        double[] f = new double[r + 1];
        f[0] = a.minBaseSlowdown();
        for (int i = 0; i < r; i++) {
            double activation = model.resources().get(i).type().activation(a.usage()[i], b.usage()[i]);
            f[i + 1] = a.sensitivity()[i] * b.intensity()[i] * activation;
        }
        return f;
    }

    /** The predicted slowdown of {@code a} beside {@code b} (not clamped). */
    public static double slowdown(PredictionModel model, Operand a, Operand b) {
        double s = model.intercept() + model.coefficient(0) * a.minBaseSlowdown();
        List<Resource> resources = model.resources();
        for (int i = 0; i < resources.size(); i++) {
            double activation = resources.get(i).type().activation(a.usage()[i], b.usage()[i]);
            s += model.coefficient(i + 1) * a.sensitivity()[i] * b.intensity()[i] * activation;
        }
        return s;
    }

    /** {@code a}'s compatibility beside {@code b}, in [0, 1]. */
    public static double compat(PredictionModel model, Operand a, Operand b) {
        return clamp01(a.scaleFactor() * (1.0 - slowdown(model, a, b)));
    }

    /** The symbiotic score, in [0, 2]; symmetric bit for bit. */
    public static double symbiotic(PredictionModel model, Operand a, Operand b) {
        return compat(model, a, b) + compat(model, b, a);
    }

    /**
     * The score of one thread of {@code a} alone on a core whose sibling is idle: no SMT
     * slowdown, only the shared-L3 loss, {@code clamp(scale_factor, 0, 1)}.
     */
    public static double alone(Operand a) {
        return clamp01(a.scaleFactor());
    }

    static double clamp01(double v) {
        return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    }
}
