// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import io.smtcheck.model.ResourceType;

/**
 * A workload's usage of a resource, from how the slowdowns change across an injector's intensity
 * levels. In the score formula, contention between two workloads is proportional to
 * {@code activation(usage_A, usage_B)}; an injector at level {@code l} uses {@code l} of the
 * resource. So the workload's slowdowns {@code s(l)} and the injector's {@code i(l)} should each
 * follow {@code c × activation(u, l)} for the workload's usage {@code u} and some scale
 * {@code c ≥ 0}. The usage is the {@code u} in [0, 1] (in steps of 0.01) whose curve fits both
 * series best in least squares, each with its own best scale. A series whose value at full
 * intensity (where the effect is largest) is below the noise floor carries no shape: when neither
 * has one, the workload does not measurably use the resource (0).
 */
final class UsageFit {
    /** Slowdowns below this are measurement noise on a shared machine. */
    static final double NOISE = 0.02;

    private UsageFit() {
    }

    static double usage(ResourceType type, double[] levels, double[] workloadSlowdowns, double[] injectorSlowdowns) {
        boolean workloadShape = workloadSlowdowns[levels.length - 1] >= NOISE;
        boolean injectorShape = injectorSlowdowns[levels.length - 1] >= NOISE;
        if (!workloadShape && !injectorShape) {
            return 0;
        }
        double best = 0;
        double bestError = Double.POSITIVE_INFINITY;
        for (int step = 0; step <= 100; step++) {
            double u = step / 100.0;
            double[] curve = new double[levels.length];
            for (int k = 0; k < levels.length; k++) {
                curve[k] = type.activation(u, levels[k]);
            }
            double error = (workloadShape ? residual(curve, workloadSlowdowns) : 0)
                    + (injectorShape ? residual(curve, injectorSlowdowns) : 0);
            // Strictly better only: among equal fits the smallest usage, the one the data demand.
            if (error < bestError - 1e-12) {
                bestError = error;
                best = u;
            }
        }
        return best;
    }

    /** Squared error of {@code observed} against {@code c × curve} with the best c ≥ 0. */
    private static double residual(double[] curve, double[] observed) {
        double ca = 0;
        double aa = 0;
        for (int k = 0; k < curve.length; k++) {
            ca += curve[k] * observed[k];
            aa += curve[k] * curve[k];
        }
        double c = aa == 0 ? 0 : Math.max(0, ca / aa);
        double e = 0;
        for (int k = 0; k < curve.length; k++) {
            double d = observed[k] - c * curve[k];
            e += d * d;
        }
        return e;
    }
}
