// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small models and profiles for tests. */
final class Fixtures {
    private Fixtures() {
    }

    static final List<Resource> TWO = List.of(new Resource("seq", ResourceType.SEQUENTIAL),
            new Resource("par", ResourceType.PARALLEL));

    static Training training() {
        return new Training(Instant.parse("2025-01-01T00:00:00Z"), "test fixture", 10, 2, 0.0, 0.9, 0.01);
    }

    /** Two resources, intercept 0.1, coefficients [0.5, 0.4, 0.6]. */
    static PredictionModel model() {
        return model(new double[] {0.5, 0.4, 0.6}, 0.1);
    }

    static PredictionModel model(double[] coefficients, double intercept) {
        return new PredictionModel(TWO, coefficients, intercept, training());
    }

    static Profile profile(int job, String name, double single, double l3, ResourceProfile seq, ResourceProfile par) {
        return new Profile(job, name, null, 1, single, l3, Map.of("seq", seq, "par", par));
    }

    static Profile random(Random r, int job, List<Resource> resources) {
        java.util.Map<String, ResourceProfile> m = new java.util.HashMap<>();
        for (Resource res : resources) {
            m.put(res.name(), new ResourceProfile(r.nextDouble(), r.nextDouble(), r.nextDouble(), r.nextDouble() * 0.5));
        }
        double single = 0.3 + 2 * r.nextDouble();
        double l3 = single * (0.6 + 0.6 * r.nextDouble());
        return new Profile(job, "w" + job, null, 1 + r.nextInt(2), single, l3, m);
    }
}
