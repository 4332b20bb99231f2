// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.Dataset;
import io.smtcheck.profiles.ProfileStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "profiles",
        description = "Loads profiles, injector baselines and co-run samples into the profile store, or dumps them.",
        subcommands = {ProfilesCommand.Import.class, ProfilesCommand.Export.class, ProfilesCommand.PruneObserved.class})
final class ProfilesCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: import, export or prune-observed");
    }

    @Command(name = "import",
            description = {
                "Validates a data file ({\"baselines\":[...],\"profiles\":[...],\"samples\":[...]}) and writes it to the store.",
                "%nNothing is written unless the whole file is valid. Profiles replace those with the same job id,"
                    + " baselines those of the same resource; samples already there are not added twice."
                    + " A profile whose name belongs to another job is refused (exit 1); the rest are written.",
            })
    static final class Import implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The data file (JSON).")
        Path file;

        @Mixin
        StoreOptions store;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Dataset data = DataFiles.read(file);
            try (ProfileStore s = store.open()) {
                ProfileStore.ImportResult r = s.importData(data);
                PrintWriter out = spec.commandLine().getOut();
                out.printf("imported %d baselines, %d profiles and %d samples (%d already there) into %s%n",
                        r.baselines(), r.profiles(), r.samplesAdded(), r.samplesAlreadyThere(), s.where());
                if (!r.conflicts().isEmpty()) {
                    throw new InputException(file + ": " + r.conflicts().size() + " refused: " + String.join("; ", r.conflicts()));
                }
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "export",
            description = {
                "Writes everything valid in the store as one data file (the import format).",
                "%nInvalid documents are left out, each reported on standard error.",
            })
    static final class Export implements Callable<Integer> {
        @Option(names = "--out", paramLabel = "FILE", description = "Write here instead of standard output.")
        Path out;

        @Mixin
        StoreOptions store;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            ProfileStore.Export loaded;
            String where;
            try (ProfileStore s = store.openToRead()) {
                loaded = s.exportData();
                where = s.where();
            }
            DataFiles.warnSkipped(spec.commandLine().getErr(), "profiles export", loaded.skipped());
            Dataset d = loaded.data();
            Dataset described = new Dataset("exported from " + where, d.baselines(), d.profiles(), d.samples());
            String text = DataJson.writeFile(described);
            if (out == null) {
                spec.commandLine().getOut().print(text);
                spec.commandLine().getOut().flush();
            } else {
                Path tmp = out.resolveSibling("." + out.getFileName() + ".tmp");
                try {
                    Files.writeString(tmp, text, StandardCharsets.UTF_8);
                    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    Files.deleteIfExists(tmp);
                    throw new InputException(out + ": cannot be written: " + e.getMessage());
                }
                spec.commandLine().getErr().printf("exported %d baselines, %d profiles and %d samples to %s%n",
                        d.baselines().size(), d.profiles().size(), d.samples().size(), out);
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "prune-observed",
            description = {
                "Removes the observed co-run slowdowns (docs/learning.md) that ended more than DAYS days ago.",
                "%nA starting daemon reads only the last 7 days; older samples only take room. With --dry-run"
                    + " nothing is removed, only counted. The original SMTcheck's store has no observed samples"
                    + " and is refused (exit 5).",
                "%nWith --json: {\"removed\": N, \"dryRun\": BOOLEAN, \"olderThanDays\": DAYS, \"machine\": ID or null}.",
            })
    static final class PruneObserved implements Callable<Integer> {
        @Option(names = "--older-than", paramLabel = "DAYS", required = true,
                description = "Remove samples that ended more than this many days ago (1 or more).")
        int days;

        @Option(names = "--machine", paramLabel = "ID",
                description = "Only this machine's samples (its id as the daemon records it); default: every machine's.")
        String machine;

        @Option(names = "--dry-run", description = "Count what would be removed; remove nothing.")
        boolean dryRun;

        @Mixin
        JsonOption json;

        @Mixin
        StoreOptions store;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            if (days < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--older-than: " + days + " is not a number of days of 1 or more");
            }
            if (machine != null && machine.isBlank()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--machine: empty");
            }
            long n;
            String where;
            try (ProfileStore s = store.openToRead()) {
                n = s.pruneObservedSamples(Instant.now().minus(Duration.ofDays(days)), machine, dryRun);
                where = s.where();
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json.json) {
                ObjectNode o = JsonOutput.MAPPER.createObjectNode().put("removed", n).put("dryRun", dryRun)
                        .put("olderThanDays", days).put("machine", machine);
                out.println(JsonOutput.MAPPER.writeValueAsString(o));
            } else {
                out.printf("%s %d observed samples older than %d days%s from %s%n", dryRun ? "would remove" : "removed",
                        n, days, machine == null ? "" : " of machine " + machine, where);
            }
            out.flush();
            return ExitCodes.OK;
        }
    }
}
