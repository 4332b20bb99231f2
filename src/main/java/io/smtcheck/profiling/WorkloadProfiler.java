// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.model.Measurement;
import io.smtcheck.model.ProcessMatch;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ResourceProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Profiles one workload: for each injector, its command runs to completion alone, then beside the
 * injector on the sibling CPU at each intensity level; all of it {@code repeats} times (medians are
 * kept); and, where the topology has one, beside the last-level-cache injector on a CPU of another
 * core. Each slowdown is taken against a reference measured just before it, the workload's solo
 * run and the injector's own rate alone, so that a machine whose speed drifts over minutes (other
 * tenants, clock changes) does not bias one resource against another.
 *
 * <p>From the workload's slowdowns {@code s} and the injectors' slowdowns {@code i} at full
 * intensity, for each resource r, with {@code S_r} the slowdown of an injector of r beside another
 * (the most that contention costs on this machine):
 * <ul>
 *   <li>sensitivity = s / S_r and intensity = i / S_r, clamped to [0, 1]; where S_r is below the
 *       noise floor (the resource is not shared by these CPUs) the raw slowdowns are used, and a
 *       slowdown below the noise floor counts as none (dividing noise by a small S_r would
 *       magnify it);</li>
 *   <li>usage from the shape of s and i across the levels ({@link UsageFit});</li>
 *   <li>base slowdown = s, clamped to [0, 1].</li>
 * </ul>
 * Progress is the IPC where the runner has hardware counters, else the inverse of the CPU time of
 * the whole command ({@code run_time}); {@code single_ipc} is then 1 and {@code l3_cache_ipc} the
 * relative speed beside the last-level-cache injector.
 *
 * <p>Every run is recorded in the store's journal as it ends, so an interrupted profile resumes
 * where it stopped; the journal is dropped once the profile is written.
 */
public final class WorkloadProfiler {
    /** Seconds an injector runs alone, just before each co-run, as the reference for its slowdown. */
    static final double REFERENCE_SECONDS = 0.25;
    /**
     * Less CPU time than this alone and the run's own jitter (process start, page faults, timer
     * ticks) is a large part of it: slowdowns of a few percent cannot be told from noise.
     */
    static final double MIN_SOLO_SECONDS = 0.1;

    /**
     * What to measure.
     *
     * @param jobId      the job's id
     * @param name       its profile's name
     * @param match      how the daemon recognises its processes, or null
     * @param workers    its usual number of hardware threads
     * @param command    the command line
     * @param workingDir where to run it
     * @param levels     intensity levels, ascending, the last 1
     * @param repeats    runs per setting
     */
    public record Request(int jobId, String name, ProcessMatch match, int workers, List<String> command, Path workingDir,
            List<Double> levels, int repeats) {
        /** @throws IllegalArgumentException for levels that do not ascend to 1, or fewer than one repeat */
        public Request {
            Measurement.checkLevels(levels);
            if (repeats < 1) {
                throw new IllegalArgumentException("repeats must be at least 1, not " + repeats);
            }
            levels = List.copyOf(levels);
            command = List.copyOf(command);
        }
    }

    /** The profile, and how many of its runs were found in the journal rather than measured now. */
    public record Result(Profile profile, int runs, int resumed) {
    }

    private WorkloadProfiler() {
    }

    static String group(Bench bench, Request r) {
        String settings = String.join("\0", r.command()) + "\n" + r.workingDir() + "\n" + r.levels() + "\n" + r.repeats();
        return "profile/job " + r.jobId() + "/" + bench.machine.id() + "/cpus " + bench.cpu + "," + bench.sibling + "/"
                + MachineIdentity.digest(settings);
    }

    /**
     * Measures (or resumes) and writes the profile, marking the job's profiling request done. The
     * injector baselines are measured first where the store lacks them ({@code baselineSeconds}
     * each), or anew on {@code refresh}.
     */
    public static Result profile(Bench bench, Request r, double baselineSeconds, boolean refresh) throws IOException {
        if (!(baselineSeconds >= 0.05 && baselineSeconds <= 3600)) {
            throw new IllegalArgumentException("the baseline duration " + baselineSeconds + " s is not within 0.05 to 3600");
        }
        InjectorBaselines baselines = InjectorBaselines.measure(bench, baselineSeconds, r.levels(), refresh);
        String group = group(bench, r);
        List<String> steps = new ArrayList<>();
        for (int k = 0; k < r.repeats(); k++) {
            for (Injector i : bench.injectors) {
                steps.add("solo/" + i.resource() + "/" + k);
                for (double level : r.levels()) {
                    steps.add("with/" + i.resource() + "/" + InjectorProcess.level(level) + "/" + k);
                }
            }
            if (bench.l3Cpu >= 0 && bench.injector("llc").isPresent()) {
                steps.add("l3/" + k);
            }
        }
        Path log = bench.log(r.name());
        Bench.Recorded recorded = bench.record(group, steps, (key, done) -> {
            String[] f = key.split("/");
            ObjectNode v;
            switch (f[0]) {
                case "solo" -> {
                    bench.progress.begin("alone (before " + f[1] + "), run " + (Integer.parseInt(f[2]) + 1));
                    WorkloadRun run = WorkloadRun.run(bench.children, bench.workDir, r.command(), r.workingDir(),
                            bench.cpu, log);
                    if (run.cpuNanos() < MIN_SOLO_SECONDS * 1e9) {
                        throw new WorkloadFailedException(String.format(Locale.ROOT, "%s ran for %.3f s of CPU time:"
                                + " too short to measure a slowdown of a few percent; give it at least %.1f s of work",
                                String.join(" ", r.command()), run.cpuNanos() / 1e9, MIN_SOLO_SECONDS));
                    }
                    v = run.toJson();
                }
                case "with" -> {
                    bench.progress.begin("beside " + f[1] + " at " + f[2] + ", run " + (Integer.parseInt(f[3]) + 1));
                    v = runBeside(bench, r, log, f[1], bench.sibling, Double.parseDouble(f[2]), baselineSeconds);
                }
                default -> {
                    bench.progress.begin("beside llc on CPU " + bench.l3Cpu + ", run " + (Integer.parseInt(f[1]) + 1));
                    v = runBeside(bench, r, log, "llc", bench.l3Cpu, 1.0, baselineSeconds);
                }
            }
            bench.progress.end(String.format(Locale.ROOT, "%.3f s CPU", v.path("cpu_ns").asLong() / 1e9));
            return v;
        });
        Profile profile = compute(bench, r, baselines, recorded.done());
        bench.store.putProfile(profile);
        bench.store.forgetMeasurements(group);
        return new Result(profile, steps.size(), recorded.resumed());
    }

    /**
     * Runs the workload once beside an injector of {@code resource} on {@code cpu}. The injector's
     * rate alone is taken just before, over a short window, so that its slowdown compares two
     * moments close together (shared machines drift).
     */
    private static ObjectNode runBeside(Bench bench, Request r, Path log, String resource, int cpu, double level,
            double baselineSeconds) throws IOException {
        try (InjectorProcess injector = InjectorProcess.start(bench.children, bench.workDir, resource, cpu, level)) {
            InjectorProcess.Mark start = injector.mark();
            bench.children.sleep(Math.min(REFERENCE_SECONDS, baselineSeconds));
            InjectorProcess.Mark before = injector.mark();
            WorkloadRun run = WorkloadRun.run(bench.children, bench.workDir, r.command(), r.workingDir(), bench.cpu, log);
            return run.toJson().put("injector_rate", injector.mark().rateSince(before))
                    .put("injector_alone_rate", before.rateSince(start));
        }
    }

    static Profile compute(Bench bench, Request r, InjectorBaselines baselines, Map<String, JsonNode> journal) {
        List<JsonNode> solo = journal.entrySet().stream().filter(e -> e.getKey().startsWith("solo/"))
                .map(Map.Entry::getValue).toList();
        boolean ipc = solo.stream().allMatch(WorkloadRun::hasCounters);
        Map<String, ResourceProfile> resources = new HashMap<>();
        double[] levels = r.levels().stream().mapToDouble(Double::doubleValue).toArray();
        for (Injector i : bench.injectors) {
            double[] s = new double[levels.length];
            double[] inj = new double[levels.length];
            for (int l = 0; l < levels.length; l++) {
                double[] sk = new double[r.repeats()];
                double[] ik = new double[r.repeats()];
                for (int k = 0; k < r.repeats(); k++) {
                    JsonNode alone = journal.get("solo/" + i.resource() + "/" + k);
                    JsonNode with = journal.get("with/" + i.resource() + "/" + InjectorProcess.level(levels[l]) + "/" + k);
                    sk[k] = 1 - WorkloadRun.progress(with, ipc) / WorkloadRun.progress(alone, ipc);
                    ik[k] = 1 - with.path("injector_rate").asDouble() / with.path("injector_alone_rate").asDouble();
                }
                s[l] = median(sk);
                inj[l] = median(ik);
            }
            resources.put(i.resource(), resource(i, levels, s, inj, baselines.selfSlowdown(i.resource())));
        }
        double soloProgress = median(solo.stream().mapToDouble(n -> WorkloadRun.progress(n, ipc)).toArray());
        List<JsonNode> l3 = runs(journal, "l3/", r.repeats());
        double single = ipc ? soloProgress : 1.0;
        double l3Ipc;
        String l3Note;
        if (l3.isEmpty()) {
            l3Ipc = single;
            l3Note = "not measured: no CPU outside CPU " + bench.cpu + "'s core shares its last-level cache in topology "
                    + bench.topology + "; l3_cache_ipc = single_ipc";
        } else {
            double p = median(l3.stream().mapToDouble(n -> WorkloadRun.progress(n, ipc)).toArray());
            l3Ipc = ipc ? p : p / soloProgress;
            l3Note = "measured beside the llc injector on CPU " + bench.l3Cpu;
        }
        double soloSeconds = median(solo.stream().mapToDouble(n -> n.path("cpu_ns").asLong() / 1e9).toArray());
        Measurement m = new Measurement(Measurement.FORMAT, Instant.now(),
                ipc ? Measurement.Progress.IPC : Measurement.Progress.RUN_TIME, r.command(),
                r.workingDir().toAbsolutePath().toString(), bench.machine, List.of(bench.cpu, bench.sibling), r.repeats(),
                r.levels(), soloSeconds, l3Note);
        return new Profile(r.jobId(), r.name(), r.match(), r.workers(), single, Math.max(l3Ipc, 1e-9), resources, m);
    }

    /**
     * One resource's profile from the workload's slowdowns {@code s} and the injector's {@code inj}
     * at each level, and {@code full}, the injector's slowdown beside another copy of itself.
     */
    static ResourceProfile resource(Injector i, double[] levels, double[] s, double[] inj, double full) {
        double scale = full >= UsageFit.NOISE ? full : 1;
        double sFull = s[levels.length - 1];
        double iFull = inj[levels.length - 1];
        return new ResourceProfile(normalised(sFull, scale), normalised(iFull, scale),
                UsageFit.usage(i.type(), levels, s, inj), unit(sFull));
    }

    private static List<JsonNode> runs(Map<String, JsonNode> journal, String prefix, int repeats) {
        List<JsonNode> out = new ArrayList<>();
        for (int k = 0; k < repeats; k++) {
            JsonNode n = journal.get(prefix + k);
            if (n != null) {
                out.add(n);
            }
        }
        return out;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** A slowdown relative to the most the resource costs; 0 when it is within the noise. */
    private static double normalised(double slowdown, double scale) {
        return slowdown < UsageFit.NOISE ? 0 : unit(slowdown / scale);
    }

    private static double unit(double v) {
        return Math.min(1, Math.max(0, v));
    }
}
