// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.ModelFiles;
import io.smtcheck.model.ModelJson;
import io.smtcheck.model.PredictionModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "model",
        description = "Prediction model files: check one, or deploy a new one into a model directory.",
        subcommands = {ModelCommand.Deploy.class, ModelCommand.Show.class})
final class ModelCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required: deploy or show");
    }

    @Command(name = "deploy",
            description = {
                "Copies a model file into the model directory as prediction_model_<yyyyMMddTHHmmssZ>.json,"
                    + " where the daemon picks the newest.",
                "%nThe file is validated first. It is copied only if its content differs from the newest model"
                    + " there (same model, formatting aside: nothing to do). The copy appears atomically.",
            })
    static final class Deploy implements Callable<Integer> {
        @Parameters(paramLabel = "SRC", description = "The model file to deploy.")
        Path source;

        @Option(names = "--dir", paramLabel = "DIR", defaultValue = "trained_model",
                description = "The model directory, which must exist; relative to the working directory."
                        + " Default: ${DEFAULT-VALUE}.")
        Path dir;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            byte[] content;
            try {
                content = Files.readAllBytes(source);
            } catch (NoSuchFileException e) {
                throw new InputException(source + ": no such file");
            }
            PredictionModel model = ModelJson.parse(content, source.toString());
            // Relative to the working directory, like every path given; named absolute so that it is plain where it went.
            Path target = dir.toAbsolutePath().normalize();
            if (!Files.exists(target)) {
                // A mistyped directory must not become a model directory nobody reads.
                throw new InputException(target + ": no such directory (the model directory must exist)");
            }
            if (!Files.isDirectory(target)) {
                throw new InputException(target + ": not a directory");
            }
            PrintWriter out = spec.commandLine().getOut();
            Optional<Path> newest = ModelFiles.newest(target);
            if (newest.isPresent() && sameModel(newest.get(), content, model)) {
                out.println("unchanged: " + source + " has the same content as " + newest.get());
                return ExitCodes.OK;
            }
            Path written = ModelWriter.writeNew(target, content, Instant.now());
            out.println("deployed " + source + " as " + written);
            return ExitCodes.OK;
        }

        private static boolean sameModel(Path newest, byte[] content, PredictionModel model) throws IOException {
            byte[] existing = Files.readAllBytes(newest);
            if (java.util.Arrays.equals(existing, content)) {
                return true;
            }
            try {
                return ModelJson.parse(existing, newest.toString()).equals(model);
            } catch (InvalidDataException e) {
                return false;
            }
        }
    }

    @Command(name = "show", description = "Validates a model file (or the newest in a directory) and prints it.")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "FILE|DIR", arity = "0..1",
                description = "Model file or directory. Default: the shipped model.")
        Path path;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            WorkloadSelection.ModelChoice m = WorkloadSelection.model(path);
            PrintWriter out = spec.commandLine().getOut();
            out.println("model " + m.source());
            TrainCommand.printModel(out, m.model());
            return ExitCodes.OK;
        }
    }

    static String format(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4f", v);
    }
}
