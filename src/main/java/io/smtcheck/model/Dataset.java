// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.List;

/**
 * What a data file holds, and what {@code profiles import/export} move: any of injector
 * baselines, profiles and co-run samples, with an optional description of where the data came
 * from. File format: {@link DataJson}.
 */
public record Dataset(String description, List<Baseline> baselines, List<Profile> profiles, List<CoRunSample> samples) {
    /** A dataset without a description. */
    public Dataset(List<Baseline> baselines, List<Profile> profiles, List<CoRunSample> samples) {
        this(null, baselines, profiles, samples);
    }

    public Dataset {
        baselines = List.copyOf(baselines);
        profiles = List.copyOf(profiles);
        samples = List.copyOf(samples);
    }
}
