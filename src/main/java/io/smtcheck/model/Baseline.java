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
 * @param soloIpc  the injector's IPC alone, &gt; 0 (what profiling normalises against)
 */
public record Baseline(String resource, ResourceType type, String injector, double soloIpc) {
    public Baseline {
        try {
            Resource.checkName(resource);
        } catch (InvalidDataException e) {
            throw e.in("resource");
        }
        if (type == null) {
            throw new InvalidDataException("type: missing");
        }
        if (injector == null || injector.isBlank()) {
            throw new InvalidDataException("injector: missing");
        }
        if (!(soloIpc > 0) || !Double.isFinite(soloIpc)) {
            throw new InvalidDataException("solo_ipc: " + soloIpc + " is not a finite number > 0");
        }
    }
}
