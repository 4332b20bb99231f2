// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.model.Profile;
import io.smtcheck.model.ScoreBoard;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.sched.PairingInput;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "scores",
        description = {
            "Prints the symbiotic score of every pair of workloads: how well they share a physical core"
                + " (0 to 2, higher is better), from their profiles and the prediction model.",
            "%nPairs with a workload that cannot be scored get the neutral score 1.0. --json prints the"
                + " `plan --scores` file format: {\"workloads\":[...],\"matrix\":[...],\"solo\":...}.",
        })
final class ScoresCommand implements Callable<Integer> {
    @Option(names = "--profiles", paramLabel = "FILE", description = "Profiles from a data file instead of the store.")
    Path profiles;

    @Mixin
    StoreOptions store;

    @Option(names = "--model", paramLabel = "FILE|DIR",
            description = "Model file, or directory whose newest prediction_model_*.json is used. Default: the shipped model.")
    Path model;

    @Option(names = "--job", paramLabel = "NAME|ID[:WORKERS]",
            description = "A workload to include (repeatable; twice gives two instances). Default: every profile.")
    List<String> jobs;

    @Mixin
    JsonOption json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Scored scored = buildTable(spec, profiles, store, model, jobs);
        ScoreTable table = scored.table();
        PrintWriter out = spec.commandLine().getOut();
        if (json.json) {
            out.println(JsonOutput.MAPPER.writeValueAsString(toJson(PairingInput.of(table))));
        } else {
            out.println("model " + scored.modelSource() + ", " + table.size() + " workloads");
            out.print(ScoreBoard.format(table));
            out.flush();
        }
        return ExitCodes.OK;
    }

    /** A score table and where its model came from. */
    record Scored(ScoreTable table, String modelSource) {
    }

    /** The table for --profiles or a store, shared with plan --profiles. */
    static Scored buildTable(CommandLine.Model.CommandSpec spec, Path profilesFile, StoreOptions store, Path model,
            List<String> jobs) {
        if (profilesFile != null && store != null && store.given()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--profiles cannot be combined with --mongo-uri or --data-dir");
        }
        WorkloadSelection.ModelChoice m = WorkloadSelection.model(model);
        List<Profile> list;
        String source;
        if (profilesFile != null) {
            list = DataFiles.read(profilesFile).profiles();
            source = profilesFile.toString();
        } else {
            try (ProfileStore s = store.openToRead()) {
                ProfileStore.Loaded<Profile> loaded = s.readAllProfiles();
                DataFiles.warnSkipped(spec.commandLine().getErr(), spec.name(), loaded.skipped());
                list = loaded.items();
                source = s.where();
            }
        }
        ScoreTable table;
        try {
            table = WorkloadSelection.table(m.model(), list, jobs, source);
        } catch (WorkloadSelection.BadSelectionException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        for (ScoreTable.Entry e : table.entries()) {
            if (!e.scored()) {
                spec.commandLine().getErr().println(spec.name() + ": warning: " + e.key() + " gets the neutral score "
                        + ScoreTable.NEUTRAL_SCORE + ": " + e.unscoredReason());
            }
        }
        return new Scored(table, m.source());
    }

    static Map<String, Object> toJson(PairingInput input) {
        List<Map<String, Object>> workloads = new ArrayList<>();
        for (int i = 0; i < input.size(); i++) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("id", input.ids().get(i));
            w.put("workers", input.workers()[i]);
            workloads.add(w);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workloads", workloads);
        m.put("matrix", input.scores());
        m.put("solo", input.solo());
        return m;
    }
}
