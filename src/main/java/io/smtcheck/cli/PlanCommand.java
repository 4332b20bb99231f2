// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.sched.CoreTable;
import io.smtcheck.sched.PairingInput;
import io.smtcheck.sched.Plan;
import io.smtcheck.sched.PlanMode;
import io.smtcheck.sched.Planner;
import io.smtcheck.sched.Topology;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "plan",
        description = {
            "Shows which workloads would share which physical core. Touches no process.",
            "%nScores come from a matrix (--scores) or from profiles and the prediction model (--profiles).",
            "%nThe scores file: {\"workloads\":[{\"id\":\"a\",\"workers\":1},...], \"matrix\":[[...],...], \"solo\":0.0}"
                + " where matrix[i][j] is the symbiotic score of workload i sharing a core with workload j"
                + " (symmetric; the diagonal counts only for workloads with 2+ workers) and solo the score of"
                + " a thread alone on a core.",
        })
final class PlanCommand implements Callable<Integer> {
    /** Exactly one source of scores: a matrix, or profiles put through the model. */
    static final class Source {
        @Option(names = "--scores", required = true, paramLabel = "FILE", description = "Score matrix (JSON).")
        Path scores;

        @Option(names = "--profiles", required = true, paramLabel = "FILE",
                description = "Profiles (data file); scores come from them and the model, as `smtcheck scores` prints.")
        Path profiles;
    }

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--model", paramLabel = "FILE|DIR",
            description = "With --profiles: model file or directory (newest wins). Default: the shipped model.")
    Path model;

    @Option(names = "--job", paramLabel = "NAME|ID[:WORKERS]",
            description = "With --profiles: a workload to plan (repeatable; twice gives two instances). Default: every profile.")
    List<String> jobs;

    @Mixin
    TopologyOption topology;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (exact when small, else greedy), greedy, or exact. Default: ${DEFAULT-VALUE}.")
    String mode;

    @Mixin
    JsonOption json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;


    @Override
    public Integer call() throws Exception {
        PlanMode planMode = parseMode(mode);
        if (source.scores != null && (model != null || jobs != null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--model and --job need --profiles");
        }
        PairingInput input = source.scores != null ? ScoresFile.read(source.scores)
                : PairingInput.of(ScoresCommand.buildTable(spec, source.profiles, null, model, jobs).table());
        Topology topo = topology.topology();
        warnAboutUnplaceableWorkers(input, topo);
        Plan plan = Planner.plan(input, topo, planMode);
        PrintWriter out = spec.commandLine().getOut();
        if (json.json) {
            out.println(JsonOutput.MAPPER.writeValueAsString(toJson(plan)));
        } else {
            printTable(out, plan, input);
        }
        return ExitCodes.OK;
    }

    /** The planner plans at most one worker per hardware thread of a workload; say so when that is fewer. */
    private void warnAboutUnplaceableWorkers(PairingInput input, Topology topo) {
        int threads = topo.hardwareThreads();
        for (int i = 0; i < input.size(); i++) {
            if (input.workers()[i] > threads) {
                spec.commandLine().getErr().printf(Locale.ROOT, "%s: warning: '%s' has %d workers, more than the %d"
                        + " hardware threads of the topology: at most %d are planned, the rest are unplaced%n",
                        spec.name(), input.ids().get(i), input.workers()[i], threads, threads);
            }
        }
    }

    private PlanMode parseMode(String text) {
        try {
            return PlanMode.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "unknown --mode '" + text + "': use auto, greedy or exact");
        }
    }

    static Map<String, Object> toJson(Plan plan) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", plan.mode().label());
        m.put("total", plan.total());
        m.put("cores", plan.cores());
        m.put("unplaced", plan.unplaced());
        return m;
    }

    private static void printTable(PrintWriter out, Plan plan, PairingInput input) {
        int cores = plan.cores().size();
        out.printf(Locale.ROOT, "mode %s, total score %.4f, %d workloads (%d threads) on %d %s%n",
                plan.mode().label(), plan.total(), input.size(), input.threads(), cores, cores == 1 ? "core" : "cores");
        CoreTable.print(out, plan.cores().stream()
                .map(c -> new CoreTable.Row(c.core(), c.cpus(), c.workloads(), c.score())).toList());
        if (!plan.unplaced().isEmpty()) {
            StringBuilder s = new StringBuilder();
            for (Plan.Unplaced u : plan.unplaced()) {
                s.append(s.length() == 0 ? "" : ", ").append(u.id()).append(" (").append(u.threads())
                        .append(u.threads() == 1 ? " thread)" : " threads)");
            }
            out.println("unplaced (more threads than hardware threads): " + s);
        }
    }
}
