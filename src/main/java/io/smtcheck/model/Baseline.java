// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

/**
 * An injector's baseline: the micro-benchmark that stresses one resource, against which workloads
 * are profiled. It also declares the resource's contention type, so the set of baselines is the
 * catalogue of resources a newly trained model uses.
 *
 * @param resource the resource it stresses
 * @param type     how contention for the resource is activated
 * @param injector the injector's name (the program profiling runs)
 * @param soloIpc  the injector's IPC alone, &gt; 0, or NaN where it was not measured (no hardware counters)
 * @param soloRate its progress alone, in its own work units per CPU second, &gt; 0, or NaN where not
 *                 measured: what {@code smtcheck profile} normalises an injector's slowdown against
 */
public record Baseline(String resource, ResourceType type, String injector, double soloIpc, double soloRate) {
    /** A baseline known by its IPC only. */
    public Baseline(String resource, ResourceType type, String injector, double soloIpc) {
        this(resource, type, injector, soloIpc, Double.NaN);
    }

    public Baseline {
        try {
            Resource.checkName(resource);
        } catch (InvalidDataException e) {
            throw e.in("resource");
        }
        if (type == null) {
            throw new InvalidDataException("type: missing");
        }
        try {
            Catalogue.check(resource, type);
        } catch (InvalidDataException e) {
            throw e.in("type");
        }
        if (injector == null || injector.isBlank()) {
            throw new InvalidDataException("injector: missing");
        }
        if (Double.isNaN(soloIpc) && Double.isNaN(soloRate)) {
            throw new InvalidDataException("solo_ipc or solo_rate is required");
        }
        if (!Double.isNaN(soloIpc) && (!(soloIpc > 0) || !Double.isFinite(soloIpc))) {
            throw new InvalidDataException("solo_ipc: " + soloIpc + " is not a finite number > 0");
        }
        if (!Double.isNaN(soloRate) && (!(soloRate > 0) || !Double.isFinite(soloRate))) {
            throw new InvalidDataException("solo_rate: " + soloRate + " is not a finite number > 0");
        }
    }
}
