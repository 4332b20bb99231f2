// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.Locale;

/** How two co-running threads contend for one shared resource (docs/architecture.md §3). */
public enum ResourceType {
    /**
     * Used one at a time: contention starts only when the two usages together exceed the
     * resource, {@code max(0, uA + uB - 1)}.
     */
    SEQUENTIAL {
        @Override
        public double activation(double usageA, double usageB) {
            return Math.max(0.0, usageA + usageB - 1.0);
        }
    },
    /**
     * Used concurrently: {@code uA * uB} is the chance that both want it at once and
     * {@code (uA + uB) / 2} the average usage, {@code uA * uB * (uA + uB) / 2}.
     */
    PARALLEL {
        @Override
        public double activation(double usageA, double usageB) {
            return usageA * usageB * (usageA + usageB) / 2.0;
        }
    };

    public abstract double activation(double usageA, double usageB);

    /** The name used in files: {@code sequential} or {@code parallel}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws InvalidDataException for anything but {@code sequential} or {@code parallel} */
    public static ResourceType ofLabel(String label) {
        for (ResourceType t : values()) {
            if (t.label().equals(label)) {
                return t;
            }
        }
        throw new InvalidDataException("unknown resource type '" + label + "' (use sequential or parallel)");
    }
}
