// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.smtcheck.evaluation.LoadGenerator;
import io.smtcheck.evaluation.Policy;
import io.smtcheck.evaluation.Replay;
import io.smtcheck.evaluation.RunResult;
import io.smtcheck.evaluation.Scores;
import io.smtcheck.evaluation.SlowdownMatrix;
import io.smtcheck.evaluation.Trace;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.JsonRead;
import io.smtcheck.model.Profile;
import io.smtcheck.profiles.BundledData;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate",
        description = {
            "Compares placements of one load: Linux's own (no pinning), random pairing, smtcheck's planner,"
                + " the oracle (planning on the true slowdowns) and one thread per core (SMT off).",
            "%n--replay simulates the load on a pairwise slowdown matrix: deterministic, the same seed gives"
                + " the same output. The matrix is a file {\"workloads\":[...],\"slowdown\":[[...]]} (slowdown[i][j]:"
                + " of workload i beside j), a data file whose co-run samples give it (and whose profiles smtcheck"
                + " plans with), or 'sample' for the shipped sample data.",
            "%nThe load is a trace file (lines of: arrival_s work_s workers payload) or --generate N jobs with"
                + " Poisson arrivals. docs/evaluate.md describes the model and the metrics.",
        })
final class EvaluateCommand implements Callable<Integer> {
    /** Exactly one load. */
    static final class Load {
        @Option(names = "--trace", required = true, paramLabel = "FILE", description = "The load: a trace file.")
        Path trace;

        @Option(names = "--generate", required = true, paramLabel = "N",
                description = "The load: N jobs made up from --seed (Poisson arrivals, payloads drawn from --mix).")
        Integer generate;
    }

    @Option(names = "--replay", required = true, paramLabel = "MATRIX|sample",
            description = "Simulate on this slowdown matrix, data file, or 'sample' (the shipped data).")
    String replay;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Load load;

    @Option(names = "--rate", paramLabel = "PER_S", defaultValue = "1",
            description = "With --generate: mean arrivals per second. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--mix", paramLabel = "NAME", split = ",",
            description = "With --generate: the payloads drawn from. Default: every workload of the matrix.")
    List<String> mix;

    @Option(names = "--work", paramLabel = "MIN:MAX", defaultValue = "10:60",
            description = "With --generate: the range of each job's work (seconds alone). Default: ${DEFAULT-VALUE}.")
    String work;

    @Option(names = "--write-trace", paramLabel = "FILE", description = "Also write the load as a trace file.")
    Path writeTrace;

    @Option(names = "--plots", paramLabel = "DIR",
            description = "Also draw PNG plots there: the slowdown CDF, STP per policy, each policy's placements over"
                + " time (hosts of up to " + EvaluationPlots.TIMELINE_MAX_CPUS + " hardware threads).")
    Path plots;

    @Option(names = "--cores", paramLabel = "N", defaultValue = "8",
            description = "The simulated host: N cores of two hardware threads. Default: ${DEFAULT-VALUE}.")
    int cores;

    @Option(names = "--policy", paramLabel = "NAME", split = ",",
            defaultValue = "linux,random,smtcheck,oracle,smt-off",
            description = "Policies to run, in order. Default: ${DEFAULT-VALUE}.")
    List<String> policies;

    @Option(names = "--min-gain", paramLabel = "FRACTION", defaultValue = "0.02",
            description = "smtcheck's re-planning threshold, as the daemon's --min-gain. Default: ${DEFAULT-VALUE}.")
    double minGain;

    @Option(names = "--time-limit", paramLabel = "SECONDS", defaultValue = "86400",
            description = "Per run: jobs not ended by then count as unfinished. Default: ${DEFAULT-VALUE}.")
    double timeLimit;

    @Option(names = "--profiles", paramLabel = "FILE",
            description = "Profiles smtcheck plans with (default: those of the data file given to --replay).")
    Path profiles;

    @Option(names = "--model", paramLabel = "FILE|DIR",
            description = "Model file or directory (newest wins). Default: the shipped model.")
    Path model;

    @Mixin
    SeedOption seed;

    @Mixin
    JsonOption json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The truth, and the profiles smtcheck predicts from (none: it plans on the truth). */
    private record Inputs(SlowdownMatrix truth, List<Profile> profiles, String source) {
    }

    @Override
    public Integer call() throws Exception {
        checkOptions();
        List<Policy> chosen = new ArrayList<>();
        for (String p : policies) {
            try {
                chosen.add(Policy.ofLabel(p));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--policy: " + e.getMessage());
            }
        }
        Inputs inputs = readInputs();
        Trace trace = load.trace != null ? readTrace(load.trace) : generate(inputs.truth());
        String traceSource = load.trace != null ? load.trace.toString()
                : "generated: " + load.generate + " jobs, seed " + seed.seed + ", " + rate + " per second";
        trace.requirePayloads(new java.util.HashSet<>(inputs.truth().workloads()),
                load.trace != null ? load.trace.toString() : "--mix", "a workload of " + inputs.source());
        if (writeTrace != null) {
            writeText(writeTrace, trace.format());
        }
        Supplier<Scores> predicted = predicted(inputs);
        Replay replayer = new Replay(hostOf(cores), inputs.truth(), seed.seed, minGain, timeLimit, plots != null);
        List<RunResult> results = new ArrayList<>();
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = System.console() != null;
        for (Policy p : chosen) {
            ProgressBar bar = new ProgressBar(err, p.label(), trace.jobs().size(), terminal);
            results.add(replayer.run(trace, p, predicted, bar::update));
            bar.clear();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json.json) {
            out.println(JsonOutput.MAPPER.writeValueAsString(toJson(inputs, traceSource, trace, results)));
        } else {
            printTable(out, inputs, traceSource, trace, results);
        }
        if (plots != null) {
            for (Path written : EvaluationPlots.write(plots, results, hostOf(cores).allCpus())) {
                err.println(spec.name() + ": wrote " + written);
            }
        }
        if (inputs.profiles().isEmpty() && chosen.contains(Policy.SMTCHECK)) {
            err.println(spec.name() + ": note: no profiles given, so smtcheck plans on the true slowdowns"
                    + " (as the oracle, with its re-planning threshold)");
        }
        return ExitCodes.OK;
    }

    private void checkOptions() {
        if (cores < 1) {
            throw usage("--cores must be at least 1, not " + cores);
        }
        if (!(minGain >= 0) || Double.isInfinite(minGain)) {
            throw usage("--min-gain must be 0 or more, not " + minGain);
        }
        if (!(timeLimit > 0) || Double.isInfinite(timeLimit)) {
            throw usage("--time-limit must be more than 0 seconds, not " + timeLimit);
        }
        if (load.trace != null && (mix != null || spec.commandLine().getParseResult().hasMatchedOption("--rate")
                || spec.commandLine().getParseResult().hasMatchedOption("--work"))) {
            throw usage("--rate, --mix and --work need --generate");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** N cores of two hardware threads, CPUs numbered as Linux numbers such a host: core c has c and c + N. */
    static Topology hostOf(int cores) {
        List<List<Integer>> shape = new ArrayList<>();
        for (int c = 0; c < cores; c++) {
            shape.add(List.of(c, c + cores));
        }
        return Topology.shape(shape);
    }

    private Inputs readInputs() {
        if (replay.equals("sample")) {
            Dataset data = BundledData.sampleDataset();
            return new Inputs(SlowdownMatrix.of(data, "the shipped sample data"), data.profiles(), "the shipped sample data");
        }
        Path file = Path.of(replay);
        byte[] content = readBytes(file);
        JsonNode root = JsonRead.document(content, file.toString());
        SlowdownMatrix truth;
        List<Profile> planned;
        if (root.has("slowdown")) {
            truth = SlowdownMatrix.parse(root, file.toString());
            planned = List.of();
        } else {
            Dataset data = DataJson.parseFile(content, file.toString());
            truth = SlowdownMatrix.of(data, file.toString());
            planned = data.profiles();
        }
        if (profiles != null) {
            planned = DataFiles.read(profiles).profiles();
        }
        return new Inputs(truth, planned, file.toString());
    }

    private Supplier<Scores> predicted(Inputs inputs) {
        if (inputs.profiles().isEmpty()) {
            return () -> Scores.truth(inputs.truth());
        }
        var m = WorkloadSelection.model(model).model();
        Map<String, Profile> byName = new LinkedHashMap<>();
        inputs.profiles().forEach(p -> byName.put(p.name(), p));
        return () -> Scores.predicted(m, byName);
    }

    private Trace generate(SlowdownMatrix truth) {
        String[] range = work.split(":", -1);
        double lo;
        double hi;
        try {
            lo = Double.parseDouble(range[0]);
            hi = Double.parseDouble(range.length == 2 ? range[1] : "");
        } catch (NumberFormatException e) {
            throw usage("--work '" + work + "': expected MIN:MAX in seconds, such as 10:60");
        }
        try {
            return LoadGenerator.generate(seed.seed, load.generate, rate, mix != null ? mix : truth.workloads(), lo, hi);
        } catch (IllegalArgumentException e) {
            throw usage("--generate: " + e.getMessage());
        }
    }

    private static Trace readTrace(Path file) {
        return Trace.parse(new String(readBytes(file), StandardCharsets.UTF_8), file.toString());
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InputException(file + ": no such file");
        } catch (IOException e) {
            throw new InputException(file + ": cannot be read: " + e.getMessage());
        }
    }

    private static void writeText(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private Map<String, Object> toJson(Inputs inputs, String traceSource, Trace trace, List<RunResult> results) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "replay");
        m.put("matrix", inputs.source());
        m.put("trace", traceSource);
        m.put("jobs", trace.jobs().size());
        m.put("seed", seed.seed);
        m.put("cores", cores);
        m.put("threads_per_core", 2);
        m.put("min_gain", minGain);
        m.put("time_limit_s", timeLimit);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (RunResult r : results) {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("policy", r.policy().label());
            run.put("finished", r.finishedJobs().size());
            run.put("unfinished", r.unfinished());
            run.put("makespan_s", r.makespan());
            run.put("stp", finite(r.stp()));
            run.put("antt", finite(r.antt()));
            run.put("work_rate", finite(r.workRate()));
            run.put("turnaround_p50", finite(r.turnaroundQuantile(0.5)));
            run.put("turnaround_p95", finite(r.turnaroundQuantile(0.95)));
            run.put("migrations", r.migrations());
            run.put("pins", r.pins());
            run.put("plans", r.plans());
            List<Map<String, Object>> jobs = new ArrayList<>();
            for (RunResult.JobOutcome o : r.jobs()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("id", o.job().id());
                j.put("payload", o.job().payload());
                j.put("arrival_s", o.job().arrival());
                j.put("work_s", o.job().work());
                j.put("workers", o.job().workers());
                j.put("end_s", o.finished() ? o.end() : null);
                j.put("turnaround_s", o.finished() ? o.turnaround() : null);
                j.put("normalized_turnaround", o.finished() ? o.normalizedTurnaround() : null);
                j.put("normalized_progress", o.finished() ? o.normalizedProgress() : null);
                jobs.add(j);
            }
            run.put("jobs", jobs);
            runs.add(run);
        }
        m.put("policies", runs);
        return m;
    }

    private static Double finite(double d) {
        return Double.isFinite(d) ? d : null;
    }

    private void printTable(PrintWriter out, Inputs inputs, String traceSource, Trace trace, List<RunResult> results) {
        out.printf(Locale.ROOT, "replay of %d jobs (%s) on %d cores of 2 threads; slowdowns from %s%n",
                trace.jobs().size(), traceSource, cores, inputs.source());
        out.printf(Locale.ROOT, "%-9s %9s %11s %10s %7s %8s %6s %6s %10s %7s%n", "policy", "finished", "makespan_s",
                "STP", "ANTT", "work/s", "p50", "p95", "migrations", "pins");
        for (RunResult r : results) {
            out.printf(Locale.ROOT, "%-9s %9s %11.1f %10.3f %7.3f %8.3f %6.3f %6.3f %10d %7d%n", r.policy().label(),
                    r.finishedJobs().size() + "/" + r.jobs().size(), r.makespan(), r.stp(), r.antt(), r.workRate(),
                    r.turnaroundQuantile(0.5), r.turnaroundQuantile(0.95), r.migrations(), r.pins());
        }
        if (replay.equals("sample")) {
            out.println("the shipped sample data is synthetic (README.md): these figures show the method, not a host");
        }
        out.println("STP: sum of the jobs' normalised progress (time alone / turnaround); ANTT: mean turnaround / time"
                + " alone; work/s: thread-seconds of work alone done per second; p50, p95: of turnaround / time alone");
    }
}
