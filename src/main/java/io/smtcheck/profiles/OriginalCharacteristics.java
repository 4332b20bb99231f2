// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import io.smtcheck.model.Catalogue;
import io.smtcheck.model.Catalogue.OriginalKind;
import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ResourceProfile;
import io.smtcheck.model.ResourceType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A job's characteristics from the original SMTcheck's raw IPC measurements, computed as its
 * scheduler computes them when it reads them (docs/original-smtcheck.md gives the formulas). Pure:
 * no I/O; every value that cannot be computed is an {@link InvalidDataException} naming the
 * resource and the measurement.
 */
public final class OriginalCharacteristics {
    /** The job's solo run and its run beside the L3 injector: measured, not characterised. */
    public static final String SINGLE = "single";
    public static final String L3_CACHE = "l3_cache";

    /** Below this sensitivity a sequential resource's usage is taken as 0, as in the original. */
    static final double SENSITIVITY_THRESHOLD = 0.05;

    /** Which run an IPC was measured in: the pressure level, and whether it is the injector's IPC (else the job's). */
    public record Run(int pressure, boolean injector) {
    }

    /** Which injector baseline: the original's job id for it (-1 alone, -2 beside the low, -3 beside the high variant) and the pressure. */
    public record BaselineRun(int jobId, int pressure) {
    }

    public static final int ALONE = -1;
    public static final int BESIDE_HIGH = -3;

    /** A job's profile and the resources left out of it, each with why. */
    public record Result(Profile profile, List<String> leftOut) {
    }

    private OriginalCharacteristics() {
    }

    /** How the model treats the resource: ports contend as parallel resources do, in the original as here. */
    public static ResourceType typeOf(String resource) {
        return kindOf(resource) == OriginalKind.SEQUENTIAL ? ResourceType.SEQUENTIAL : ResourceType.PARALLEL;
    }

    /** Whether the original characterises this resource: one of its catalogue's, but not the L3 (measured). */
    public static boolean characterised(String resource) {
        return !resource.equals(L3_CACHE) && kindOf(resource) != null;
    }

    /** The original's category of {@code resource}, or null when its catalogue lacks it. */
    private static OriginalKind kindOf(String resource) {
        return Catalogue.lookup(resource).filter(k -> k.origin() == Catalogue.Origin.ORIGINAL)
                .map(Catalogue.Known::kind).orElse(null);
    }

    /**
     * The job's profile: every characterised resource it was measured on, those that cannot be
     * computed left out with the reason.
     *
     * @param ipc            per resource (and {@value #SINGLE}), the job's raw IPC per run
     * @param combinationSolo its solo IPC in the {@code combination} document, or NaN when that has none
     *                       (then the solo run of its profiling is used)
     * @param baselines      per resource, the injector's raw IPC per baseline run
     * @param machine        sizes and watermarks of the sequential resources, or null when not given
     * @throws InvalidDataException when the job has no usable solo or L3 IPC, or no resource at all
     */
    public static Result profile(int jobId, Map<String, Map<Run, Double>> ipc, double combinationSolo,
            Map<String, Map<BaselineRun, Double>> baselines, MachineDescription machine) {
        double single = positive(measured(ipc, SINGLE, new Run(0, false)), SINGLE + ": the solo IPC");
        double l3 = positive(measured(ipc, L3_CACHE, new Run(0, false)), L3_CACHE + ": the IPC beside the L3 injector");
        double solo = Double.isNaN(combinationSolo) ? single
                : positive(combinationSolo, "combination: the solo IPC");
        Map<String, ResourceProfile> resources = new TreeMap<>();
        List<String> leftOut = new ArrayList<>();
        for (Map.Entry<String, Map<Run, Double>> e : new TreeMap<>(ipc).entrySet()) {
            String resource = e.getKey();
            if (resource.equals(SINGLE) || resource.equals(L3_CACHE)) {
                continue;
            }
            if (!characterised(resource)) {
                leftOut.add(resource + ": not a resource the original SMTcheck characterises");
                continue;
            }
            try {
                resources.put(resource, characterise(resource, e.getValue(), solo,
                        baselines.getOrDefault(resource, Map.of()), machine));
            } catch (InvalidDataException x) {
                leftOut.add(x.getMessage());
            }
        }
        if (resources.isEmpty()) {
            throw new InvalidDataException("no resource could be characterised"
                    + (leftOut.isEmpty() ? "" : ": " + String.join("; ", leftOut)));
        }
        return new Result(new Profile(jobId, "job-" + jobId, null, 1, single, l3, resources), List.copyOf(leftOut));
    }

    /** One resource's characteristics, clamped to [0, 1]. */
    public static ResourceProfile characterise(String resource, Map<Run, Double> job, double solo,
            Map<BaselineRun, Double> injector, MachineDescription machine) {
        OriginalKind kind = kindOf(resource);
        if (kind == OriginalKind.SEQUENTIAL) {
            if (machine == null) {
                throw new InvalidDataException(resource + ": a sequential resource, whose size and watermark come from"
                        + " the machine description (--machine-description), which is not given");
            }
            MachineDescription.Sequential size = machine.of(resource).orElseThrow(() -> new InvalidDataException(
                    resource + ": a sequential resource that the machine description does not describe"));
            return sequential(resource, job, solo, injector, size, machine.mediumRatio());
        }
        if (kind == OriginalKind.PORT) {
            return port(resource, job, solo, injector);
        }
        if (kind == OriginalKind.PARALLEL) {
            return parallel(resource, job, solo, injector);
        }
        throw new InvalidDataException(resource + ": not a resource the original SMTcheck characterises");
    }

    /** Pressure levels low 0, medium 1, high 2; the usage from where the job's IPC starts to drop. */
    static ResourceProfile sequential(String r, Map<Run, Double> job, double solo, Map<BaselineRun, Double> injector,
            MachineDescription.Sequential size, double mediumRatio) {
        double injectorSolo = baseline(r, injector, ALONE, 0);
        double intensity = 1 - (ipc(r, job, 0, true) / nonZero(injectorSolo, r + ": the injector's solo IPC"));
        double low = ipc(r, job, 0, false);
        double baseSlowdown = 1 - (low / solo);
        double high = ipc(r, job, 2, false);
        double sensitivity = 1 - (high / nonZero(low, r + ": the job's IPC at low pressure"));
        double medium = ipc(r, job, 1, false);

        double[] points = size.pressurePoints(mediumRatio);
        double x1 = points[1];
        double x2 = points[2];
        if (x2 == x1) {
            x1 = x2 - 0.001;
        }
        double slope = (high - medium) / (x2 - x1);
        if (slope == 0) {
            slope = 0.001;
        }
        double intercept = medium - slope * x1;
        double dropPoint = (low - intercept) / slope;
        double usableMax = size.size() - size.watermark();
        if (slope > 0) {
            dropPoint = usableMax; // the job ran faster under more pressure: taken as using little
        } else if (dropPoint <= size.watermark()) {
            dropPoint = size.watermark();
        } else if (dropPoint >= usableMax) {
            dropPoint = usableMax;
        }
        if (sensitivity <= 0) {
            sensitivity = 1e-7;
        }
        double usage = sensitivity > SENSITIVITY_THRESHOLD ? Math.max((size.size() - dropPoint) / size.size(), 0) : 0;
        return clamped(sensitivity, intensity, usage, baseSlowdown);
    }

    /** Pressure levels low 0 and high 1; the usage from how much the job slows the high injector. */
    static ResourceProfile parallel(String r, Map<Run, Double> job, double solo, Map<BaselineRun, Double> injector) {
        double injectorSolo = baseline(r, injector, ALONE, 0);
        double intensity = 1 - (ipc(r, job, 0, true) / nonZero(injectorSolo, r + ": the injector's solo IPC"));
        double low = ipc(r, job, 0, false);
        double baseSlowdown = 1 - (low / solo);
        double sensitivity = 1 - (ipc(r, job, 1, false) / nonZero(low, r + ": the job's IPC at low pressure"));
        double injectorMax = baseline(r, injector, BESIDE_HIGH, 0);
        double injectorMin = baseline(r, injector, BESIDE_HIGH, 1);
        double usage = (injectorMax - ipc(r, job, 1, true))
                / nonZero(injectorMax - injectorMin, r + ": the injector's IPC beside its high variant, at low minus high pressure,");
        return clamped(sensitivity, intensity, usage, baseSlowdown);
    }

    /** One pressure level (0, high); base slowdown and sensitivity are one value, usage is the intensity. */
    static ResourceProfile port(String r, Map<Run, Double> job, double solo, Map<BaselineRun, Double> injector) {
        double injectorSolo = baseline(r, injector, ALONE, 0);
        double intensity = 1 - (ipc(r, job, 0, true) / nonZero(injectorSolo, r + ": the injector's solo IPC"));
        double baseSlowdown = 1 - (ipc(r, job, 0, false) / solo);
        return clamped(baseSlowdown, intensity, intensity, baseSlowdown);
    }

    private static ResourceProfile clamped(double sensitivity, double intensity, double usage, double baseSlowdown) {
        return new ResourceProfile(clamp(sensitivity), clamp(intensity), clamp(usage), clamp(baseSlowdown));
    }

    static double clamp(double v) {
        return Math.min(Math.max(v, 0), 1);
    }

    private static double ipc(String r, Map<Run, Double> job, int pressure, boolean injector) {
        Double v = job.get(new Run(pressure, injector));
        if (v == null) {
            throw new InvalidDataException(r + ": no measurement of the " + (injector ? "injector" : "job")
                    + " at pressure " + pressure);
        }
        return v;
    }

    private static double measured(Map<String, Map<Run, Double>> ipc, String feature, Run run) {
        Double v = ipc.getOrDefault(feature, Map.of()).get(run);
        if (v == null) {
            throw new InvalidDataException(feature + ": no measurement of the job at pressure " + run.pressure());
        }
        return v;
    }

    private static double baseline(String r, Map<BaselineRun, Double> injector, int jobId, int pressure) {
        Double v = injector.get(new BaselineRun(jobId, pressure));
        if (v == null) {
            throw new InvalidDataException(r + ": no injector baseline (global_jobid " + jobId + ", pressure " + pressure + ")");
        }
        return v;
    }

    private static double nonZero(double v, String what) {
        if (v == 0) {
            throw new InvalidDataException(what + " is 0");
        }
        return v;
    }

    private static double positive(double v, String what) {
        if (!(v > 0)) {
            throw new InvalidDataException(what + " is " + v + ", not > 0");
        }
        return v;
    }
}
