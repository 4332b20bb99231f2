// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The trained linear slowdown model (docs/architecture.md §3). For a workload A running beside B:
 * <pre>
 * features_A = [min_base_slowdown_A, contention_1, ..., contention_R]
 * slowdown_A = intercept + Σ coefficients[j] × features_A[j]
 * </pre>
 * so {@code coefficients} has one entry more than {@code resources}: the first weighs the minimum
 * base slowdown, the others the contention on each resource in order. Immutable and valid by
 * construction. The file format is {@link ModelJson}.
 *
 * @param resources    the shared resources, distinct names, at least one
 * @param coefficients {@code 1 + resources.size()} finite values
 * @param intercept    finite
 * @param training     provenance and fit quality; null only for a model in the original's format,
 *                     which does not record them
 * @param format       the file format it was read from, and is written back in
 */
public record PredictionModel(List<Resource> resources, double[] coefficients, double intercept, Training training,
        Format format) {
    /** The version of smtcheck's file format this code writes; it also reads version 1. */
    public static final int FORMAT_VERSION = 2;

    /** The two file formats a model can come in (see {@link ModelJson}). */
    public enum Format {
        /** smtcheck's own: typed resources and a training record. */
        SMTCHECK,
        /** The original SMTcheck's: a feature list of its catalogue, coefficients and intercept. */
        ORIGINAL;

        /** As status and {@code model show} print it. */
        public String label() {
            return this == SMTCHECK ? "smtcheck" : "original";
        }
    }

    /** A model in smtcheck's own format. */
    public PredictionModel(List<Resource> resources, double[] coefficients, double intercept, Training training) {
        this(resources, coefficients, intercept, training, Format.SMTCHECK);
    }

    public PredictionModel {
        if (format == null) {
            throw new InvalidDataException("format: missing");
        }
        if (resources == null || resources.isEmpty()) {
            throw new InvalidDataException("resources: at least one resource is needed");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < resources.size(); i++) {
            Resource r = resources.get(i);
            if (r == null) {
                throw new InvalidDataException("resources[" + i + "]: missing");
            }
            if (!names.add(r.name())) {
                throw new InvalidDataException("resources[" + i + "]: '" + r.name() + "' appears twice");
            }
        }
        if (coefficients == null) {
            throw new InvalidDataException("coefficients: missing");
        }
        if (coefficients.length != resources.size() + 1) {
            throw new InvalidDataException("coefficients: " + coefficients.length + " values, but "
                    + resources.size() + " resources need " + (resources.size() + 1)
                    + " (min_base_slowdown first, then one per resource)");
        }
        for (int i = 0; i < coefficients.length; i++) {
            if (!Double.isFinite(coefficients[i])) {
                throw new InvalidDataException("coefficients[" + i + "]: " + coefficients[i] + " is not finite");
            }
        }
        if (!Double.isFinite(intercept)) {
            throw new InvalidDataException("intercept: " + intercept + " is not finite");
        }
        if (training == null && format == Format.SMTCHECK) {
            throw new InvalidDataException("trained: missing");
        }
        resources = List.copyOf(resources);
        coefficients = coefficients.clone();
    }

    @Override
    public double[] coefficients() {
        return coefficients.clone();
    }

    /** The coefficient of feature {@code j} (0 = min_base_slowdown) without copying. */
    public double coefficient(int j) {
        return coefficients[j];
    }

    public int resourceCount() {
        return resources.size();
    }

    /** The names of the features in coefficient order. */
    public List<String> featureNames() {
        String[] names = new String[coefficients.length];
        names[0] = "min_base_slowdown";
        for (int i = 0; i < resources.size(); i++) {
            names[i + 1] = "contention:" + resources.get(i).name();
        }
        return List.of(names);
    }

    /** Same content: resources, coefficients, intercept, training and format. */
    @Override
    public boolean equals(Object o) {
        return o instanceof PredictionModel m && resources.equals(m.resources)
                && Arrays.equals(coefficients, m.coefficients) && Double.compare(intercept, m.intercept) == 0
                && Objects.equals(training, m.training) && format == m.format;
    }

    @Override
    public int hashCode() {
        return resources.hashCode() * 31 + Arrays.hashCode(coefficients);
    }

    @Override
    public String toString() {
        return "PredictionModel" + featureNames() + " coefficients=" + Arrays.toString(coefficients)
                + " intercept=" + intercept;
    }
}
