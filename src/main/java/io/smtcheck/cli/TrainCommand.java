// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.model.Baseline;
import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.ModelJson;
import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.PredictionModel;
import io.smtcheck.model.Profile;
import io.smtcheck.model.Resource;
import io.smtcheck.model.Trainer;
import io.smtcheck.profiles.ProfileStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train",
        description = {
            "Fits the slowdown model from co-run samples and writes a new prediction_model_<yyyyMMddTHHmmssZ>.json.",
            "%nThe resources (and their types) are those of the injector baselines; each sample's two workloads need"
                + " profiles. A seeded share of the samples is held out and the fit's R² and mean absolute error on"
                + " them are printed and recorded in the model. Fit: least squares with ridge regularisation"
                + " λ·n·Σγ² on standardised features (n training rows; the intercept is not penalised).",
            "%nWith --with-observed, the co-run slowdowns the daemon observed where jobs ran (the store's observed"
                + " samples, see docs/learning.md) are co-run samples too, one each, whatever their length.",
        })
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--samples", paramLabel = "FILE",
            description = "A data file with baselines, profiles and samples, instead of the store.")
    Path samplesFile;

    @Mixin
    StoreOptions store;

    @Option(names = "--with-observed",
            description = "Also train on the co-run slowdowns the daemon observed (from the store only).")
    boolean withObserved;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "trained_model",
            description = "Where to write the model. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--ridge", paramLabel = "λ", defaultValue = "1e-4",
            description = "Ridge strength, >= 0. Default: ${DEFAULT-VALUE}.")
    double ridge;

    @Option(names = "--hold-out", paramLabel = "FRACTION", defaultValue = "0.2",
            description = "Share of samples held out to measure the fit, 0 to 0.9. Default: ${DEFAULT-VALUE}.")
    double holdOut;

    @Mixin
    SeedOption seed;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (samplesFile != null && store.given()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--samples cannot be combined with --mongo-uri or --data-dir");
        }
        if (samplesFile != null && withObserved) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--with-observed reads the store's observed samples: it cannot be combined with --samples");
        }
        Trainer.Options options;
        try {
            options = new Trainer.Options(ridge, holdOut, seed.seed);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter err = spec.commandLine().getErr();
        Dataset data;
        String from;
        if (samplesFile != null) {
            data = DataFiles.read(samplesFile);
            from = "co-run samples in " + samplesFile.getFileName()
                    + (data.description() == null ? "" : ": " + data.description());
            requireSections(data, samplesFile.toString());
        } else {
            try (ProfileStore s = store.openToRead()) {
                ProfileStore.Loaded<Baseline> b = s.baselines();
                ProfileStore.Loaded<Profile> p = s.readAllProfiles();
                ProfileStore.Loaded<CoRunSample> c = s.samples();
                ProfileStore.Loaded<ObservedSample> o = withObserved ? s.observedSamples()
                        : new ProfileStore.Loaded<>(List.of(), List.of());
                List<ProfileStore.Skipped> skipped = new ArrayList<>(b.skipped());
                skipped.addAll(p.skipped());
                skipped.addAll(c.skipped());
                skipped.addAll(o.skipped());
                DataFiles.warnSkipped(err, "train", skipped);
                List<CoRunSample> all = new ArrayList<>(c.items());
                o.items().forEach(x -> all.add(x.toCoRunSample()));
                from = "co-run samples in " + s.where() + (withObserved ? ", with " + o.items().size()
                        + " observed" : "");
                if (withObserved) {
                    err.println("train: " + o.items().size() + " observed samples included");
                }
                data = new Dataset(b.items(), p.items(), usable(err, all, p.items(), b.items()));
                requireSections(data, s.where());
            }
        }
        List<Resource> resources = Trainer.resourcesOf(data.baselines());
        Trainer.Fit fit = Trainer.fit(resources, data.profiles(), data.samples(), options, from, Instant.now());
        PredictionModel model = fit.model();
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "trained on %d co-run samples (%d rows), %d held out (%d rows); ridge %s%n",
                model.training().samples(), fit.trainingRows(), model.training().heldOutSamples(), fit.heldOutRows(),
                plain(ridge));
        stdout.printf(Locale.ROOT, "held-out R² %s, mean absolute error %s (training R² %s)%n",
                ModelCommand.format(fit.heldOutR2()), ModelCommand.format(fit.heldOutMae()),
                ModelCommand.format(fit.trainingR2()));
        printCoefficients(stdout, model);
        Path written = ModelWriter.writeNew(out, ModelJson.write(model).getBytes(StandardCharsets.UTF_8), Instant.now());
        stdout.println("wrote " + written);
        return ExitCodes.OK;
    }

    static String plain(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    private static void requireSections(Dataset data, String source) {
        if (data.baselines().isEmpty()) {
            throw new InputException(source + ": no injector baselines (they declare the model's resources)");
        }
        if (data.profiles().isEmpty()) {
            throw new InputException(source + ": no profiles");
        }
        if (data.samples().isEmpty()) {
            throw new InputException(source + ": no co-run samples");
        }
    }

    /**
     * The store's samples whose two jobs have valid profiles with every resource of the baselines;
     * the others are reported.
     */
    private static List<CoRunSample> usable(PrintWriter err, List<CoRunSample> samples, List<Profile> profiles,
            List<Baseline> baselines) {
        Set<Integer> jobs = new HashSet<>();
        for (Profile p : profiles) {
            if (baselines.stream().allMatch(b -> p.resources().containsKey(b.resource()))) {
                jobs.add(p.jobId());
            }
        }
        List<CoRunSample> out = new ArrayList<>();
        for (CoRunSample s : samples) {
            if (jobs.contains(s.jobA()) && jobs.contains(s.jobB())) {
                out.add(s);
            } else {
                err.println("train: warning: skipped sample of jobs " + s.jobA() + " and " + s.jobB()
                        + ": a job has no valid profile, or one without every resource of the injector baselines");
            }
        }
        return out;
    }

    static void printCoefficients(PrintWriter out, PredictionModel model) {
        out.printf(Locale.ROOT, "  %-28s %10.6f%n", "intercept", model.intercept());
        List<String> names = model.featureNames();
        for (int j = 0; j < names.size(); j++) {
            out.printf(Locale.ROOT, "  %-28s %10.6f%n", names.get(j), model.coefficient(j));
        }
    }

    static void printModel(PrintWriter out, PredictionModel model) {
        StringBuilder rs = new StringBuilder();
        for (Resource r : model.resources()) {
            rs.append(rs.length() == 0 ? "" : ", ").append(r.name()).append(" (").append(r.type().label()).append(')');
        }
        out.println("format: " + model.format().label()
                + (model.format() == PredictionModel.Format.ORIGINAL ? " (the original SMTcheck's)" : ""));
        out.println("resources: " + rs);
        printCoefficients(out, model);
        var t = model.training();
        if (t == null) {
            out.println("trained: not recorded in this format");
            return;
        }
        out.println("trained " + t.at() + " from " + t.from());
        out.printf(Locale.ROOT, "  %d samples, %d held out, ridge %s, held-out R² %s, MAE %s%n", t.samples(),
                t.heldOutSamples(), plain(t.ridge()), ModelCommand.format(t.r2()), ModelCommand.format(t.mae()));
    }
}
