// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.smtcheck.evaluation.LiveResult;
import io.smtcheck.evaluation.LiveRun;
import io.smtcheck.evaluation.LivePayloads;
import io.smtcheck.evaluation.LiveState;
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
            "%n--live runs the load for real on this machine, policy after policy (linux, random, smtcheck with the"
                + " real daemon, smt-off): each"
                + " job a process group of its own, a built-in payload (an injector resource RESOURCE[@INTENSITY]) or"
                + " the trace's own command; each job's time alone is measured first. --state FILE keeps each"
                + " finished policy, so that an interrupted evaluation resumes.",
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

    /** Exactly one way to run. */
    static final class Mode {
        @Option(names = "--replay", required = true, paramLabel = "MATRIX|sample",
                description = "Simulate on this slowdown matrix, data file, or 'sample' (the shipped data).")
        String replay;

        @Option(names = "--live", required = true, description = "Run the jobs for real on this machine.")
        boolean live;
    }

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    @Option(names = "--state", paramLabel = "FILE",
            description = "With --live: keep each finished policy's result here and skip those already there.")
    Path state;

    @Mixin
    TopologyOption topology;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Load load;

    @Option(names = "--rate", paramLabel = "PER_S", defaultValue = "1",
            description = "With --generate: mean arrivals per second. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--mix", paramLabel = "NAME", split = ",",
            description = "With --generate: the payloads drawn from. Default: every workload of the matrix, or with"
                + " --live every built-in payload.")
    List<String> mix;

    @Option(names = "--work", paramLabel = "MIN:MAX", defaultValue = "10:60",
            description = "With --generate: the range of each job's work (seconds alone). Default: ${DEFAULT-VALUE}.")
    String work;

    @Option(names = "--write-trace", paramLabel = "FILE", description = "Also write the load as a trace file.")
    Path writeTrace;

    @Option(names = "--plots", paramLabel = "DIR",
            description = "Also draw plots there, each as PNG and SVG: the slowdown CDF, STP per policy, each policy's placements over"
                + " time (hosts of up to " + EvaluationPlots.TIMELINE_MAX_CPUS + " hardware threads).")
    Path plots;

    @Option(names = "--cores", paramLabel = "N", defaultValue = "8",
            description = "The simulated host: N cores of two hardware threads. Default: ${DEFAULT-VALUE}.")
    int cores;

    @Option(names = "--policy", paramLabel = "NAME", split = ",",
            description = "Policies to run, in order. Default: linux,random,smtcheck,oracle,smt-off; with --live"
                + " linux,random,smtcheck,smt-off.")
    List<String> policies;

    @Option(names = "--min-gain", paramLabel = "FRACTION", defaultValue = "0.02",
            description = "smtcheck's re-planning threshold, as the daemon's --min-gain. Default: ${DEFAULT-VALUE}.")
    double minGain;

    @Option(names = "--time-limit", paramLabel = "SECONDS", defaultValue = "86400",
            description = "Per run: jobs not ended by then count as unfinished (with --live: are killed)."
                + " Default: ${DEFAULT-VALUE}.")
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
        if (plots != null) {
            EvaluationPlots.prepare(plots); // before the runs: a wrong directory must not cost them
        }
        List<Policy> chosen = chosenPolicies();
        if (mode.live) {
            return live(chosen);
        }
        if (state != null || topology.spec != null) {
            throw usage("--state and --topology need --live");
        }
        Inputs inputs = readInputs();
        Trace trace = load.trace != null ? readTrace(load.trace) : generate(inputs.truth().workloads());
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

    private List<Policy> chosenPolicies() {
        List<String> names = policies != null ? policies
                : mode.live ? List.of("linux", "random", "smtcheck", "smt-off") : List.of("linux", "random", "smtcheck", "oracle", "smt-off");
        List<Policy> chosen = new ArrayList<>();
        for (String p : names) {
            try {
                chosen.add(Policy.ofLabel(p));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--policy: " + e.getMessage());
            }
        }
        return chosen;
    }

    /** How long a built-in payload runs alone to measure its rate of work. */
    private static final double CALIBRATION_SECONDS = 0.5;

    private int live(List<Policy> chosen) throws Exception {
        for (Policy p : chosen) {
            if (p == Policy.ORACLE) {
                throw usage("--policy oracle plans on the true slowdowns, which a live run does not know: use --replay");
            }
        }
        if (mode.live && (spec.commandLine().getParseResult().hasMatchedOption("--cores") || profiles != null
                || model != null)) {
            throw usage("--cores, --profiles and --model apply to --replay; --live runs on --topology");
        }
        Topology host;
        try {
            host = topology.topology();
        } catch (IllegalArgumentException e) {
            throw usage("--topology: " + e.getMessage());
        }
        Trace trace = load.trace != null ? readTrace(load.trace) : generate(LivePayloads.RESOURCES);
        String traceSource = load.trace != null ? load.trace.toString()
                : "generated: " + load.generate + " jobs, seed " + seed.seed + ", " + rate + " per second";
        LivePayloads.requireRunnable(trace, load.trace != null ? load.trace.toString() : "--mix");
        if (writeTrace != null) {
            writeText(writeTrace, trace.format());
        }
        PrintWriter err = spec.commandLine().getErr();
        String key = LiveState.keyOf(trace, "topology " + host.toString() + "; time limit " + timeLimit + "; seed " + seed.seed);
        LiveState saved = state != null ? LiveState.open(state, key, trace) : null;
        List<String> smtcheck = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName());
        LiveRun runner = new LiveRun(host, seed.seed, timeLimit, CALIBRATION_SECONDS, smtcheck, minGain);
        LiveRun.Prepared prepared = saved != null ? saved.prepared() : null;
        if (prepared == null) {
            err.println(spec.name() + ": measuring each job alone");
            prepared = runner.prepare(trace, new LiveRun.Listener() {
                @Override
                public void started(Trace.Job job, int pgid, List<Integer> cpus) {
                    err.println(spec.name() + ": alone: " + job.id() + " runs as process group " + pgid);
                    err.flush();
                }
            });
            if (saved != null) {
                saved.setPrepared(prepared);
            }
        }
        boolean terminal = System.console() != null;
        Map<Policy, LiveResult> results = new LinkedHashMap<>();
        for (Policy p : chosen) {
            LiveResult r = saved != null ? saved.done(p) : null;
            if (r != null) {
                err.println(spec.name() + ": " + p.label() + ": done before, from " + state);
            } else {
                ProgressBar bar = new ProgressBar(err, p.label(), trace.jobs().size(), terminal);
                r = runner.run(prepared, p, new LiveRun.Listener() {
                    @Override
                    public void started(Trace.Job job, int pgid, List<Integer> cpus) {
                        if (!terminal) {
                            err.println(spec.name() + ": " + p.label() + ": " + job.id() + " runs as process group "
                                    + pgid + (cpus.isEmpty() ? "" : " on CPUs " + cpus));
                            err.flush();
                        }
                    }

                    @Override
                    public void ended(int count) {
                        bar.update(count);
                    }
                });
                bar.clear();
                if (saved != null) {
                    saved.add(r);
                }
            }
            results.put(p, r);
        }
        List<RunResult> runs = results.values().stream().map(LiveResult::run).toList();
        boolean smt = false;
        try {
            Topology here = Topology.ofThisMachine();
            for (int c = 0; c < here.coreCount(); c++) {
                smt |= here.cpus(c).size() > 1;
            }
        } catch (RuntimeException e) {
            smt = true; // unknown: say nothing
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json.json) {
            Map<String, Object> m = toJson(traceSource, trace, runs, results);
            m.put("topology", host.toString());
            m.put("smt_siblings", smt);
            out.println(JsonOutput.MAPPER.writeValueAsString(m));
        } else {
            out.printf(Locale.ROOT, "live run of %d jobs (%s) on CPUs %s (topology %s)%n", trace.jobs().size(),
                    traceSource, host.allCpus(), host.toString());
            printRows(out, runs, results);
            for (LiveResult r : results.values()) {
                for (LiveResult.Failure f : r.failures()) {
                    out.printf(Locale.ROOT, "%s: job %s failed with exit status %d%s%n", r.run().policy().label(),
                            f.jobId(), f.exitStatus(), f.message().isEmpty() ? "" : ": " + f.message());
                }
            }
            for (LiveResult r : results.values()) {
                if (r.daemon() != null) {
                    out.printf(Locale.ROOT, "%s: the daemon used %.2f s of CPU and at most %d KiB of memory%n",
                            r.run().policy().label(), r.daemon().cpuSeconds(), r.daemon().maxRssKib());
                }
            }
            if (!prepared.endless().isEmpty()) {
                out.println("did not end alone within the time limit, so left out of every policy's metrics: "
                        + String.join(", ", prepared.endless()));
            }
            if (!smt) {
                out.println("this machine has no SMT siblings: its \"siblings\" are separate cores, so these numbers"
                        + " mean little about pairing");
            }
            printLegend(out);
            out.println("killed: jobs still running at --time-limit; failed: exited with a status other than 0");
        }
        if (plots != null) {
            for (Path written : EvaluationPlots.write(plots, runs, host.allCpus())) {
                err.println(spec.name() + ": wrote " + written);
            }
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
        if (mode.replay.equals("sample")) {
            Dataset data = BundledData.sampleDataset();
            return new Inputs(SlowdownMatrix.of(data, "the shipped sample data"), data.profiles(), "the shipped sample data");
        }
        Path file = Path.of(mode.replay);
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

    private Trace generate(List<String> payloads) {
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
            return LoadGenerator.generate(seed.seed, load.generate, rate, mix != null ? mix : payloads, lo, hi);
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
        m.put("policies", runsJson(results, Map.of()));
        return m;
    }

    /** The live form: the replay's fields that apply, and per policy the jobs killed and failed. */
    private Map<String, Object> toJson(String traceSource, Trace trace, List<RunResult> results,
            Map<Policy, LiveResult> live) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", "live");
        m.put("trace", traceSource);
        m.put("jobs", trace.jobs().size());
        m.put("seed", seed.seed);
        m.put("time_limit_s", timeLimit);
        m.put("policies", runsJson(results, live));
        return m;
    }

    private List<Map<String, Object>> runsJson(List<RunResult> results, Map<Policy, LiveResult> live) {
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
            LiveResult l = live.get(r.policy());
            if (l != null) {
                run.put("killed", l.killed());
                List<Map<String, Object>> failed = new ArrayList<>();
                for (LiveResult.Failure f : l.failures()) {
                    failed.add(Map.of("id", f.jobId(), "exit_status", f.exitStatus(), "message", f.message()));
                }
                run.put("failed", failed);
                if (l.daemon() != null) {
                    run.put("daemon_cpu_s", finite(l.daemon().cpuSeconds()));
                    run.put("daemon_max_rss_kib", l.daemon().maxRssKib());
                }
            } else {
                run.put("plans", r.plans());
            }
            List<Map<String, Object>> jobs = new ArrayList<>();
            for (RunResult.JobOutcome o : r.jobs()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("id", o.job().id());
                j.put("payload", o.job().payload());
                j.put("arrival_s", o.job().arrival());
                j.put(live.isEmpty() ? "work_s" : "alone_s", o.job().work());
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
        return runs;
    }

    private static Double finite(double d) {
        return Double.isFinite(d) ? d : null;
    }

    private void printTable(PrintWriter out, Inputs inputs, String traceSource, Trace trace, List<RunResult> results) {
        out.printf(Locale.ROOT, "replay of %d jobs (%s) on %d cores of 2 threads; slowdowns from %s%n",
                trace.jobs().size(), traceSource, cores, inputs.source());
        printRows(out, results, Map.of());
        if (mode.replay.equals("sample")) {
            out.println("the shipped sample data is synthetic (README.md): these figures show the method, not a host");
        }
        printLegend(out);
    }

    /** One row per policy; a live run adds the jobs killed and failed. */
    private static void printRows(PrintWriter out, List<RunResult> results, Map<Policy, LiveResult> live) {
        String extra = live.isEmpty() ? "" : String.format(Locale.ROOT, " %6s %6s", "killed", "failed");
        out.printf(Locale.ROOT, "%-9s %9s %11s %10s %7s %8s %6s %6s %10s %7s%s%n", "policy", "finished", "makespan_s",
                "STP", "ANTT", "work/s", "p50", "p95", "migrations", "pins", extra);
        for (RunResult r : results) {
            LiveResult l = live.get(r.policy());
            out.printf(Locale.ROOT, "%-9s %9s %11.1f %10.3f %7.3f %8.3f %6.3f %6.3f %10d %7d%s%n", r.policy().label(),
                    r.finishedJobs().size() + "/" + r.jobs().size(), r.makespan(), r.stp(), r.antt(), r.workRate(),
                    r.turnaroundQuantile(0.5), r.turnaroundQuantile(0.95), r.migrations(), r.pins(),
                    l == null ? "" : String.format(Locale.ROOT, " %6d %6d", l.killed(), l.failures().size()));
        }
    }

    private static void printLegend(PrintWriter out) {
        out.println("STP: sum of the jobs' normalised progress (time alone / turnaround); ANTT: mean turnaround / time"
                + " alone; work/s: thread-seconds of work alone done per second; p50, p95: of turnaround / time alone");
    }
}
