// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What profiling measured about one workload (a job). Immutable and valid by construction; the
 * JSON/BSON form is {@link DataJson}.
 *
 * @param jobId      the global job id (the kernel's {@code global_jobid}), at least 0
 * @param name       a short unique name shown in plans and score boards
 * @param match      how to recognise its processes, or null when it is only ever registered by job id
 * @param workers    its usual number of hardware threads, at least 1 (the default when a command is
 *                   given profiles rather than running instances)
 * @param singleIpc  its IPC alone on the machine, &gt; 0
 * @param l3CacheIpc its IPC alone on its core while the shared L3 cache is contended, &gt; 0
 * @param resources  per resource name, the measured sensitivity, intensity, usage and base slowdown
 * @param measured   how and where it was measured, or null (a profile made elsewhere)
 */
public record Profile(int jobId, String name, ProcessMatch match, int workers, double singleIpc, double l3CacheIpc,
        Map<String, ResourceProfile> resources, Measurement measured) {

    /** A profile without a record of its measurement. */
    public Profile(int jobId, String name, ProcessMatch match, int workers, double singleIpc, double l3CacheIpc,
            Map<String, ResourceProfile> resources) {
        this(jobId, name, match, workers, singleIpc, l3CacheIpc, resources, null);
    }

    public Profile {
        if (jobId < 0) {
            throw new InvalidDataException("job_id: " + jobId + " is negative");
        }
        if (name == null || name.isBlank() || name.length() > 64 || !name.strip().equals(name)
                || name.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidDataException("name: '" + name + "' must be 1 to 64 printable characters without surrounding blanks");
        }
        if (workers < 1) {
            throw new InvalidDataException("workers: " + workers + " is less than 1");
        }
        if (!(singleIpc > 0) || !Double.isFinite(singleIpc)) {
            throw new InvalidDataException("single_ipc: " + singleIpc + " is not a finite number > 0");
        }
        if (!(l3CacheIpc > 0) || !Double.isFinite(l3CacheIpc)) {
            throw new InvalidDataException("l3_cache_ipc: " + l3CacheIpc + " is not a finite number > 0");
        }
        if (resources == null || resources.isEmpty()) {
            throw new InvalidDataException("resources: at least one resource is needed");
        }
        for (Map.Entry<String, ResourceProfile> e : resources.entrySet()) {
            try {
                Resource.checkName(e.getKey());
            } catch (InvalidDataException x) {
                throw x.in("resources");
            }
            if (e.getValue() == null) {
                throw new InvalidDataException("resources." + e.getKey() + ": missing");
            }
        }
        resources = Collections.unmodifiableMap(new TreeMap<>(resources));
    }

    /**
     * {@code l3_cache_ipc / single_ipc}: how much of its speed the workload keeps under the
     * CMP-level (shared L3) contention that exists whatever its SMT sibling does.
     */
    public double scaleFactor() {
        return l3CacheIpc / singleIpc;
    }

    /** Which of {@code model}'s resources this profile lacks (empty when it can be scored). */
    public java.util.List<String> missingResources(PredictionModel model) {
        return model.resources().stream().map(Resource::name).filter(n -> !resources.containsKey(n)).toList();
    }

    /** Whether its processes can be recognised and this process matches. */
    public boolean matches(String comm, String cmdline) {
        return match != null && match.matches(comm, cmdline);
    }

    /** "name (job 12)" for messages. */
    public String label() {
        return "'" + name + "' (job " + jobId + ")";
    }
}
