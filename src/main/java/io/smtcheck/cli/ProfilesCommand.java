// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.model.DataJson;
import io.smtcheck.model.Dataset;
import io.smtcheck.profiles.ProfileStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "profiles",
        description = "Loads profiles, injector baselines and co-run samples into the profile store, or dumps them.",
        subcommands = {ProfilesCommand.Import.class, ProfilesCommand.Export.class})
final class ProfilesCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: import or export");
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
}
