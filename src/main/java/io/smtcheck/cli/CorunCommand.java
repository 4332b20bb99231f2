// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.Profile;
import io.smtcheck.profiling.Bench;
import io.smtcheck.profiling.CoRunner;
import io.smtcheck.profiling.Progress;
import io.smtcheck.profiles.ProfileStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "corun",
        sortOptions = false,
        description = {
            "Runs profiled workloads in pairs on sibling CPUs and stores their real slowdowns: the co-run samples"
                + " that smtcheck train fits the model from.",
            "%nFor each sample, each workload of the pair first runs alone (its reference), then the two run at"
                + " once, the first to finish started again until the other finishes. A slowdown is 1 - (progress beside / progress alone)."
                + " The workloads run as their profiles recorded (smtcheck profile).",
            "%nEvery run is recorded as it ends: stopped (Ctrl-C, SIGTERM), the same command resumes where it was."
                + " Every process started is stopped on every way out. --json prints the samples as the data file's"
                + " samples section.",
        })
final class CorunCommand implements Callable<Integer> {
    @Option(names = "--jobs", required = true, paramLabel = "ID,...", split = ",",
            description = "The profiled jobs to pair (at least one; a job is also paired with itself).")
    List<Integer> jobs;

    @Option(names = "--pairs", paramLabel = "N",
            description = "Measure at most N of the pairs, chosen by a seeded shuffle. Default: all.")
    Integer pairs;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "1",
            description = "Samples per pair. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Mixin
    SeedOption seed;

    @Mixin
    JsonOption json;

    @Mixin
    BenchOptions bench;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<Integer> ids = new ArrayList<>(new LinkedHashSet<>(jobs));
        if (pairs != null && pairs < 1 || repeats < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--pairs and --repeats must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (ProfileStore store = bench.store.open()) {
            store.requireWritable("keep co-run samples");
            Map<Integer, Profile> byJob = store.readAllProfiles().items().stream()
                    .collect(Collectors.toMap(Profile::jobId, Function.identity()));
            List<Profile> profiles = new ArrayList<>();
            for (int id : ids) {
                Profile p = byJob.get(id);
                if (p == null) {
                    throw new InputException("job " + id + " has no profile in " + store.where());
                }
                profiles.add(p);
            }
            CoRunner.Request request = new CoRunner.Request(profiles, pairs == null ? Integer.MAX_VALUE : pairs, repeats,
                    seed.seed);
            Progress progress = Progress.forConsole(spec.commandLine().getErr(), "corun");
            try (Bench b = bench.open(store, progress)) {
                CoRunner.Result r = CoRunner.run(b, request);
                progress.finish();
                if (json.json) {
                    ArrayNode a = JsonNodeFactory.instance.arrayNode();
                    r.samples().forEach(s -> a.add(DataJson.toJson(s)));
                    out.println(a.toPrettyString());
                } else {
                    out.printf(Locale.ROOT, "%d co-run samples stored in %s (%d runs%s)%n", r.samples().size(),
                            store.where(), r.runs(), r.resumed() > 0 ? ", " + r.resumed() + " resumed" : "");
                    for (CoRunSample s : r.samples()) {
                        out.printf(Locale.ROOT, "  %-20s %7.3f   beside %-20s %7.3f%n", byJob.get(s.jobA()).name(),
                                s.slowdownA(), byJob.get(s.jobB()).name(), s.slowdownB());
                    }
                }
            }
        }
        return ExitCodes.OK;
    }
}
