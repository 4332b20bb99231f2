// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

/**
 * How one workload relates to one shared resource, as profiling measured it against that
 * resource's injector.
 *
 * @param sensitivity  how much the workload suffers when the resource is contended, in [0, 1]
 * @param intensity    how much it contends the resource for a co-runner, in [0, 1]
 * @param usage        the fraction of the resource it uses, in [0, 1]
 * @param baseSlowdown its slowdown (fraction of performance lost, in [0, 1]) beside the injector
 *                     at its baseline
 */
public record ResourceProfile(double sensitivity, double intensity, double usage, double baseSlowdown) {
    public ResourceProfile {
        unit("sensitivity", sensitivity);
        unit("intensity", intensity);
        unit("usage", usage);
        unit("base_slowdown", baseSlowdown);
    }

    private static void unit(String field, double v) {
        if (!(v >= 0.0 && v <= 1.0)) {
            throw new InvalidDataException(field + ": " + v + " is not in [0, 1]");
        }
    }
}
