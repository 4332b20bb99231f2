// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.Profile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Measures real co-run slowdowns, the samples {@code smtcheck train} fits the model from. For each
 * sample of a pair, each of the two workloads first runs alone on the bench's CPU (the reference,
 * taken just before, so that a machine whose speed drifts does not bias the sample), then both run
 * on the two sibling CPUs at once. Whichever finishes first is started again (unmeasured) until
 * the other finishes, so both measured runs are co-runs from start to end. A workload's slowdown
 * is {@code 1 − progress beside / progress alone}, progress being the IPC where hardware counters
 * exist and the inverse of the CPU time otherwise.
 *
 * <p>Each run and each sample is recorded as it ends; an interrupted run with the same settings
 * resumes, and its journal is dropped when it completes.
 */
public final class CoRunner {
    /**
     * @param jobs        profiled workloads whose profiles say how to run them
     * @param pairs       at most this many pairs (of all pairs, self-pairs included), chosen by a
     *                    shuffle seeded with {@code seed}
     * @param repeats     samples per pair
     */
    public record Request(List<Profile> jobs, int pairs, int repeats, long seed) {
    }

    public record Result(List<CoRunSample> samples, int runs, int resumed) {
    }

    private CoRunner() {
    }

    /** The pairs a request measures, as indexes into its jobs. */
    static List<int[]> pairs(Request r) {
        List<int[]> all = new ArrayList<>();
        for (int a = 0; a < r.jobs().size(); a++) {
            for (int b = a; b < r.jobs().size(); b++) {
                all.add(new int[] {a, b});
            }
        }
        Collections.shuffle(all, new Random(r.seed()));
        return all.subList(0, Math.min(r.pairs(), all.size()));
    }

    static String group(Bench bench, Request r) {
        String settings = r.jobs().stream().map(p -> Integer.toString(p.jobId())).toList() + "/" + r.pairs() + "/"
                + r.repeats() + "/" + r.seed();
        return "corun/" + bench.machine.id() + "/cpus " + bench.cpu + "," + bench.sibling + "/"
                + MachineIdentity.digest(settings);
    }

    public static Result run(Bench bench, Request r) throws IOException {
        for (Profile p : r.jobs()) {
            if (p.measured() == null) {
                throw new IllegalArgumentException("job " + p.jobId() + "'s profile does not say how to run it (it was"
                        + " imported, not measured here): profile it with smtcheck profile first");
            }
        }
        String group = group(bench, r);
        List<String> steps = new ArrayList<>();
        for (int[] pair : pairs(r)) {
            for (int k = 0; k < r.repeats(); k++) {
                steps.add("pair/" + r.jobs().get(pair[0]).jobId() + "/" + r.jobs().get(pair[1]).jobId() + "/" + k);
            }
        }
        Map<Integer, Profile> byJob = new HashMap<>();
        r.jobs().forEach(p -> byJob.put(p.jobId(), p));
        Map<Integer, Path> logs = new HashMap<>();
        for (Profile p : r.jobs()) {
            logs.put(p.jobId(), bench.log(p.name()));
        }
        Bench.Recorded recorded = bench.record(group, steps, (key, done) -> {
            String[] f = key.split("/");
            Profile a = byJob.get(Integer.parseInt(f[1]));
            Profile b = byJob.get(Integer.parseInt(f[2]));
            bench.progress.begin(a.name() + " + " + b.name() + ", sample " + (Integer.parseInt(f[3]) + 1));
            WorkloadRun aloneA = alone(bench, a, logs);
            WorkloadRun aloneB = a == b ? aloneA : alone(bench, b, logs);
            WorkloadRun[] runs = together(bench, a, b, logs);
            CoRunSample s = new CoRunSample(a.jobId(), b.jobId(), slowdown(aloneA, runs[0]), slowdown(aloneB, runs[1]));
            bench.store.importData(new Dataset(List.of(), List.of(), List.of(s)));
            bench.progress.end(String.format(Locale.ROOT, "slowdowns %.3f and %.3f", s.slowdownA(), s.slowdownB()));
            return DataJson.toJson(s);
        });
        List<CoRunSample> samples = new ArrayList<>();
        for (String key : steps) {
            samples.add(DataJson.sample(recorded.done().get(key), key));
        }
        bench.store.forgetMeasurements(group);
        return new Result(samples, steps.size(), recorded.resumed());
    }

    /** Runs a on the bench's CPU and b on its sibling, each covered by the other for its whole first run. */
    private static WorkloadRun[] together(Bench bench, Profile a, Profile b, Map<Integer, Path> logs) throws IOException {
        WorkloadRun.Running ra = start(bench, a, bench.cpu, logs);
        WorkloadRun.Running rb = null;
        try {
            rb = start(bench, b, bench.sibling, logs);
            WorkloadRun fa = null;
            WorkloadRun fb = null;
            while (fa == null || fb == null) {
                if (ra != null && ra.done()) {
                    WorkloadRun x = ra.await();
                    fa = fa == null ? x : fa;
                    ra = fb == null ? start(bench, a, bench.cpu, logs) : null;
                }
                if (rb != null && rb.done()) {
                    WorkloadRun x = rb.await();
                    fb = fb == null ? x : fb;
                    rb = fa == null ? start(bench, b, bench.sibling, logs) : null;
                }
                bench.children.sleep(0.002);
            }
            return new WorkloadRun[] {fa, fb};
        } finally {
            if (ra != null) {
                ra.abandon();
            }
            if (rb != null) {
                rb.abandon();
            }
        }
    }

    private static WorkloadRun.Running start(Bench bench, Profile p, int cpu, Map<Integer, Path> logs) throws IOException {
        return WorkloadRun.Running.start(bench.children, bench.workDir, p.measured().command(),
                Path.of(p.measured().workingDir()), cpu, logs.get(p.jobId()));
    }

    private static WorkloadRun alone(Bench bench, Profile p, Map<Integer, Path> logs) throws IOException {
        return WorkloadRun.run(bench.children, bench.workDir, p.measured().command(), Path.of(p.measured().workingDir()),
                bench.cpu, logs.get(p.jobId()));
    }

    private static double slowdown(WorkloadRun alone, WorkloadRun beside) {
        boolean ipc = alone.hasCounters() && beside.hasCounters();
        return Math.max(-1, Math.min(1, 1 - beside.progress(ipc) / alone.progress(ipc)));
    }
}
