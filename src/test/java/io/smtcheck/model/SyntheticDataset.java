// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The generator of the shipped sample dataset ({@code trained_model/sample_dataset.json}): synthetic
 * profiles of 16 workload archetypes and co-run samples whose slowdowns follow the score formula's
 * linear model with known coefficients plus Gaussian noise. Deterministic for a seed.
 * {@code ShippedDataTest} checks that the shipped file is exactly its output and rewrites it when
 * run with {@code -Dsmtcheck.regenerate=true}.
 */
public final class SyntheticDataset {
    public static final long SEED = 20251122L;
    public static final int REPETITIONS = 2;
    public static final double NOISE = 0.01;

    public static final List<Resource> RESOURCES = List.of(
            new Resource("fp_unit", ResourceType.PARALLEL),
            new Resource("int_alu", ResourceType.PARALLEL),
            new Resource("l1d_capacity", ResourceType.SEQUENTIAL),
            new Resource("l2_capacity", ResourceType.SEQUENTIAL),
            new Resource("mem_bw", ResourceType.SEQUENTIAL));
    /** min_base_slowdown, fp_unit, int_alu, l1d_capacity, l2_capacity, mem_bw. */
    public static final double[] TRUE_COEFFICIENTS = {0.55, 0.30, 0.20, 0.35, 0.40, 0.60};
    public static final double TRUE_INTERCEPT = 0.02;

    /** A workload archetype: how heavily it leans on each resource (fp, int, l1, l2, mem), 0 to 1. */
    private record Archetype(String name, int workers, String comm, String cmdline, double ipc, double[] level) {
    }

    private static final List<Archetype> ARCHETYPES = List.of(
            new Archetype("dgemm", 1, "dgemm", null, 2.6, new double[] {0.95, 0.20, 0.70, 0.40, 0.25}),
            new Archetype("stream-copy", 1, "stream", null, 0.6, new double[] {0.15, 0.25, 0.50, 0.70, 0.95}),
            new Archetype("graph-bfs", 1, "bfs", null, 0.7, new double[] {0.05, 0.45, 0.60, 0.85, 0.70}),
            new Archetype("kv-store", 1, "kvstored", null, 1.1, new double[] {0.05, 0.65, 0.75, 0.55, 0.40}),
            new Archetype("video-encode", 2, "x264", null, 2.0, new double[] {0.75, 0.60, 0.65, 0.45, 0.30}),
            new Archetype("compile", 1, "cc1plus", null, 1.4, new double[] {0.05, 0.80, 0.70, 0.50, 0.20}),
            new Archetype("spmv", 1, "spmv", null, 0.8, new double[] {0.40, 0.20, 0.45, 0.75, 0.85}),
            new Archetype("fft", 1, "fftw-bench", null, 2.1, new double[] {0.85, 0.25, 0.80, 0.55, 0.35}),
            new Archetype("sort", 1, "sort", null, 1.3, new double[] {0.02, 0.70, 0.55, 0.70, 0.50}),
            new Archetype("gzip", 1, "gzip", null, 1.6, new double[] {0.02, 0.85, 0.60, 0.30, 0.15}),
            new Archetype("nbody", 1, "nbody", null, 2.3, new double[] {0.90, 0.30, 0.35, 0.20, 0.10}),
            new Archetype("web-server", 2, "nginx", null, 1.0, new double[] {0.02, 0.55, 0.45, 0.35, 0.25}),
            new Archetype("ml-train", 2, null, "^python3? .*train\\.py( |$)", 1.8,
                    new double[] {0.80, 0.35, 0.55, 0.60, 0.65}),
            new Archetype("db-scan", 1, "postgres", "postgres: .* (SELECT|COPY)", 0.9,
                    new double[] {0.05, 0.50, 0.40, 0.80, 0.90}),
            new Archetype("ray-trace", 1, "raytrace", null, 1.9, new double[] {0.70, 0.45, 0.60, 0.35, 0.15}),
            new Archetype("idle-poller", 1, "poller", null, 1.2, new double[] {0.01, 0.10, 0.10, 0.05, 0.02}));

    private SyntheticDataset() {
    }

    public static PredictionModel trueModel() {
        return new PredictionModel(RESOURCES, TRUE_COEFFICIENTS, TRUE_INTERCEPT,
                new Training(java.time.Instant.EPOCH, "the generator's own coefficients", 0, 0, 0, Double.NaN, Double.NaN));
    }

    public static Dataset generate(long seed) {
        Random random = new Random(seed);
        List<Baseline> baselines = List.of(
                new Baseline("fp_unit", ResourceType.PARALLEL, "inject-fp", 3.2),
                new Baseline("int_alu", ResourceType.PARALLEL, "inject-int", 3.6),
                new Baseline("l1d_capacity", ResourceType.SEQUENTIAL, "inject-l1d", 2.1),
                new Baseline("l2_capacity", ResourceType.SEQUENTIAL, "inject-l2", 1.3),
                new Baseline("mem_bw", ResourceType.SEQUENTIAL, "inject-membw", 0.4));
        List<Profile> profiles = new ArrayList<>();
        for (int k = 0; k < ARCHETYPES.size(); k++) {
            Archetype a = ARCHETYPES.get(k);
            Map<String, ResourceProfile> resources = new HashMap<>();
            double memory = 0;
            // How much the workload loses beside any injector at all, whatever the resource.
            double floor = 0.12 * random.nextDouble();
            for (int i = 0; i < RESOURCES.size(); i++) {
                double level = a.level()[i];
                double usage = unit(level + 0.05 * random.nextGaussian());
                double sensitivity = unit(0.15 + 0.75 * level + 0.08 * random.nextGaussian());
                double intensity = unit(0.9 * level + 0.08 * random.nextGaussian());
                double base = unit(floor + 0.03 + 0.2 * level * sensitivity + 0.02 * random.nextGaussian());
                resources.put(RESOURCES.get(i).name(), new ResourceProfile(round(sensitivity), round(intensity),
                        round(usage), round(base)));
                if (i >= 3) {
                    memory += level / 2;
                }
            }
            double single = round(a.ipc() * (1 + 0.05 * random.nextGaussian()));
            // Memory-bound workloads lose more to a contended shared L3.
            double l3 = round(single * (0.97 - 0.15 * memory + 0.02 * random.nextGaussian()));
            ProcessMatch match = new ProcessMatch(a.comm(), a.cmdline());
            profiles.add(new Profile(101 + k, a.name(), match, a.workers(), single, l3, resources));
        }
        PredictionModel truth = trueModel();
        List<CoRunSample> samples = new ArrayList<>();
        for (int i = 0; i < profiles.size(); i++) {
            for (int j = i; j < profiles.size(); j++) {
                ScoreFormula.Operand a = ScoreFormula.prepare(truth, profiles.get(i));
                ScoreFormula.Operand b = ScoreFormula.prepare(truth, profiles.get(j));
                for (int r = 0; r < REPETITIONS; r++) {
                    double sa = ScoreFormula.slowdown(truth, a, b) + NOISE * random.nextGaussian();
                    double sb = ScoreFormula.slowdown(truth, b, a) + NOISE * random.nextGaussian();
                    samples.add(new CoRunSample(profiles.get(i).jobId(), profiles.get(j).jobId(),
                            round(Math.max(-1, Math.min(1, sa))), round(Math.max(-1, Math.min(1, sb)))));
                }
            }
        }
        String description = "SYNTHETIC data, not measurements: 16 made-up workload archetypes, their profiles"
                + " drawn around hand-set resource levels, and co-run slowdowns computed with the score formula from"
                + " known coefficients (intercept " + TRUE_INTERCEPT + ", coefficients "
                + java.util.Arrays.toString(TRUE_COEFFICIENTS) + ") plus Gaussian noise (sd " + NOISE + "), seed "
                + seed + ", every pair " + REPETITIONS + " times. Generator: src/test/java/io/smtcheck/model/SyntheticDataset.java.";
        return new Dataset(description, baselines, profiles, samples);
    }

    private static double unit(double v) {
        return Math.max(0, Math.min(1, v));
    }

    /** Six decimals, as a profiler would report them, and so the file stays readable. */
    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }
}
