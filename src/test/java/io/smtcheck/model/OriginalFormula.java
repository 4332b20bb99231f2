// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The original SMTcheck's compatibility score, written down here from its scheduler's
 * {@code calculate_compatibility_score} and {@code compute_activation} independently of
 * {@link ScoreFormula}, with its own list of sequential features: the oracle that our scores of
 * its models must equal.
 */
public final class OriginalFormula {
    /** {@code SEQUENTIAL_TYPE} of its machine description; every other feature uses the parallel formula. */
    private static final Set<String> SEQUENTIAL = Set.of("int_isq", "fp_isq", "load_isq", "uop_cache");

    private OriginalFormula() {
    }

    /** The model file its training writes. */
    public static String modelFile(List<String> features, double[] coefficients, double intercept) {
        StringBuilder s = new StringBuilder("{\"feature_list\": [\"base\"");
        features.forEach(f -> s.append(", \"").append(f).append('"'));
        s.append("], \"coefficients\": [");
        for (int i = 0; i < coefficients.length; i++) {
            s.append(i == 0 ? "" : ", ").append(coefficients[i]);
        }
        return s.append("], \"intercept\": ").append(intercept).append("}\n").toString();
    }

    /** The compatibility of {@code base} beside {@code col}: scale × (1 − (coef · features + intercept)), clamped. */
    public static double compatibility(List<String> features, double[] coef, double intercept, Profile base, Profile col) {
        double[] fv = new double[features.size() + 1];
        double minBase = Double.POSITIVE_INFINITY;
        for (String f : features) {
            minBase = Math.min(minBase, base.resources().get(f).baseSlowdown());
        }
        fv[0] = minBase;
        for (int i = 0; i < features.size(); i++) {
            ResourceProfile b = base.resources().get(features.get(i));
            ResourceProfile c = col.resources().get(features.get(i));
            double activation = SEQUENTIAL.contains(features.get(i))
                    ? Math.max(0, b.usage() + c.usage() - 1)
                    : b.usage() * c.usage() * (b.usage() + c.usage()) / 2;
            fv[i + 1] = b.sensitivity() * c.intensity() * activation;
        }
        double dot = 0;
        for (int i = 0; i < fv.length; i++) {
            dot += coef[i] * fv[i];
        }
        double scale = base.l3CacheIpc() / base.singleIpc();
        return Math.max(0.0, Math.min(1.0, scale * (1 - (dot + intercept))));
    }

    /** Its symbiotic score: the sum of both compatibilities. */
    public static double symbiotic(List<String> features, double[] coef, double intercept, Profile a, Profile b) {
        return compatibility(features, coef, intercept, a, b) + compatibility(features, coef, intercept, b, a);
    }

    /** A profile with random characteristics for every one of {@code features}. */
    public static Profile randomProfile(Random r, int jobId, List<String> features) {
        Map<String, ResourceProfile> rs = new TreeMap<>();
        for (String f : features) {
            rs.put(f, new ResourceProfile(r.nextDouble(), r.nextDouble(), r.nextDouble(), r.nextDouble() * 0.3));
        }
        double single = 0.5 + r.nextDouble() * 2;
        return new Profile(jobId, "job" + jobId, null, 1, single, single * (0.7 + r.nextDouble() * 0.3), rs);
    }
}
