// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Fits the linear slowdown model from co-run samples.
 *
 * <p>Each sample gives two rows, one per side: the features of A beside B ({@link ScoreFormula#features})
 * with A's observed slowdown, and the same for B. A share of the samples (whole samples, so both
 * sides of one co-run fall on the same side of the split) is held out, chosen by a seeded shuffle.
 * The rest are fitted by ridge regression on standardised features (centred, divided by their
 * standard deviation): least squares plus {@code λ·n·Σγ_j²}, where γ are the coefficients of the
 * standardised features, n the number of training rows, and the intercept is not penalised.
 * Standardising makes λ weigh every feature alike and scaling by n makes it independent of the
 * data set's size: the default λ = 1e-4 shrinks each coefficient by about 0.01 % and only matters
 * when features are (nearly) collinear or constant. The coefficients are then converted back to
 * the features' own units. The written model is this fit, so the held-out R² and mean absolute
 * error describe it exactly.
 */
public final class Trainer {
    /**
     * @param ridge           λ, at least 0
     * @param holdOutFraction the share of samples kept aside to measure the fit, in [0, 0.9]
     * @param seed            seeds the shuffle that picks the held-out samples
     */
    public record Options(double ridge, double holdOutFraction, long seed) {
        public static final Options DEFAULT = new Options(1e-4, 0.2, 1);

        public Options {
            if (!(ridge >= 0) || !Double.isFinite(ridge)) {
                throw new IllegalArgumentException("ridge " + ridge + " is not a finite number >= 0");
            }
            if (!(holdOutFraction >= 0 && holdOutFraction <= 0.9)) {
                throw new IllegalArgumentException("hold-out fraction " + holdOutFraction + " is not in [0, 0.9]");
            }
        }
    }

    /**
     * @param model        the fitted model
     * @param trainingRows rows fitted (two per sample)
     * @param heldOutRows  rows used to measure the fit
     * @param trainingR2   R² on the training rows
     */
    public record Fit(PredictionModel model, int trainingRows, int heldOutRows, double trainingR2) {
        public double heldOutR2() {
            return model.training().r2();
        }

        public double heldOutMae() {
            return model.training().mae();
        }
    }

    private Trainer() {
    }

    /** The model's resources from the injector baselines, sorted by name. */
    public static List<Resource> resourcesOf(Collection<Baseline> baselines) {
        return baselines.stream().sorted(Comparator.comparing(Baseline::resource))
                .map(b -> new Resource(b.resource(), b.type())).toList();
    }

    /**
     * Fits a model.
     *
     * @param from words for the model's metadata: where the samples came from
     * @throws InvalidDataException when a sample names a job without a profile, a profile lacks a
     *         resource, or there are too few samples for the number of features
     */
    public static Fit fit(List<Resource> resources, Collection<Profile> profiles, List<CoRunSample> samples,
            Options options, String from, Instant at) {
        if (resources.isEmpty()) {
            throw new InvalidDataException("no resources: the injector baselines declare them, and there are none");
        }
        // A placeholder model lays profiles out and computes features; only its resources matter.
        PredictionModel layout = new PredictionModel(resources, new double[resources.size() + 1], 0,
                new Training(at, from, 0, 0, 0, Double.NaN, Double.NaN));
        Map<Integer, ScoreFormula.Operand> operands = new HashMap<>();
        for (Profile p : profiles) {
            operands.put(p.jobId(), ScoreFormula.prepare(layout, p));
        }
        for (int k = 0; k < samples.size(); k++) {
            operand(operands, samples.get(k).jobA(), k);
            operand(operands, samples.get(k).jobB(), k);
        }
        int p = resources.size() + 1;
        int heldOut = (int) Math.round(samples.size() * options.holdOutFraction());
        if (options.holdOutFraction() > 0 && heldOut == 0 && samples.size() > 1) {
            heldOut = 1;
        }
        int training = samples.size() - heldOut;
        if (2 * training < 2 * p) {
            throw new InvalidDataException(samples.size() + " samples are too few: " + p + " features need at least "
                    + p + " training samples" + (heldOut > 0 ? " besides the " + heldOut + " held out" : ""));
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new Random(options.seed()));

        double[][] x = new double[2 * samples.size()][];
        double[] y = new double[2 * samples.size()];
        int row = 0;
        // Training rows first, then held-out rows, in shuffled sample order.
        for (int k : order) {
            CoRunSample s = samples.get(k);
            ScoreFormula.Operand a = operand(operands, s.jobA(), k);
            ScoreFormula.Operand b = operand(operands, s.jobB(), k);
            x[row] = ScoreFormula.features(layout, a, b);
            y[row++] = s.slowdownA();
            x[row] = ScoreFormula.features(layout, b, a);
            y[row++] = s.slowdownB();
        }
        int nTrain = 2 * training;
        double[] beta = new double[p];
        double intercept = ridge(x, y, nTrain, options.ridge(), beta);
        double trainR2 = r2(x, y, 0, nTrain, beta, intercept);
        double heldR2 = heldOut == 0 ? Double.NaN : r2(x, y, nTrain, y.length, beta, intercept);
        double heldMae = heldOut == 0 ? Double.NaN : mae(x, y, nTrain, y.length, beta, intercept);
        Training t = new Training(at, from, training, heldOut, options.ridge(), heldR2, heldMae);
        return new Fit(new PredictionModel(resources, beta, intercept, t), nTrain, y.length - nTrain, trainR2);
    }

    private static ScoreFormula.Operand operand(Map<Integer, ScoreFormula.Operand> operands, int job, int sample) {
        ScoreFormula.Operand o = operands.get(job);
        if (o == null) {
            throw new InvalidDataException("samples[" + sample + "]: job " + job + " has no profile");
        }
        return o;
    }

    /**
     * Solves the ridge normal equations over rows [0, n) on centred features scaled to unit
     * variance, so that λ weighs every feature alike whatever its spread; returns the intercept
     * and leaves the coefficients, in the features' own units, in {@code beta}.
     */
    static double ridge(double[][] x, double[] y, int n, double lambda, double[] beta) {
        int p = beta.length;
        double[] mx = new double[p];
        double my = 0;
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < p; j++) {
                mx[j] += x[r][j];
            }
            my += y[r];
        }
        for (int j = 0; j < p; j++) {
            mx[j] /= n;
        }
        my /= n;
        double[] sd = new double[p];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < p; j++) {
                sd[j] += (x[r][j] - mx[j]) * (x[r][j] - mx[j]);
            }
        }
        for (int j = 0; j < p; j++) {
            sd[j] = Math.sqrt(sd[j] / n);
            if (sd[j] == 0) {
                // A constant feature: it cannot be told from the intercept.
                if (lambda == 0) {
                    throw new InvalidDataException("the features are collinear (feature " + j
                            + " is constant in these samples); use a ridge > 0 or more varied samples");
                }
                sd[j] = 1;
            }
        }
        double[][] a = new double[p][p];
        double[] b = new double[p];
        for (int r = 0; r < n; r++) {
            double yc = y[r] - my;
            for (int i = 0; i < p; i++) {
                double xi = (x[r][i] - mx[i]) / sd[i];
                b[i] += xi * yc;
                for (int j = 0; j <= i; j++) {
                    a[i][j] += xi * (x[r][j] - mx[j]) / sd[j];
                }
            }
        }
        for (int i = 0; i < p; i++) {
            a[i][i] += lambda * n;
            for (int j = 0; j < i; j++) {
                a[j][i] = a[i][j];
            }
        }
        double[] solution = cholesky(a, b);
        for (int j = 0; j < p; j++) {
            beta[j] = solution[j] / sd[j];
        }
        double intercept = my;
        for (int j = 0; j < p; j++) {
            intercept -= beta[j] * mx[j];
        }
        return intercept;
    }

    /** Solves a·x = b for symmetric positive definite a. */
    private static double[] cholesky(double[][] a, double[] b) {
        int p = b.length;
        double[][] l = new double[p][p];
        double scale = 0;
        for (int i = 0; i < p; i++) {
            scale = Math.max(scale, a[i][i]);
        }
        for (int i = 0; i < p; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                if (i == j) {
                    // A pivot at rounding-error level means a feature is a combination of the others.
                    if (!(s > 1e-12 * Math.max(scale, 1e-300))) {
                        throw new InvalidDataException("the features are collinear (feature " + i
                                + " is constant or a combination of others in these samples); use a ridge > 0"
                                + " or more varied samples");
                    }
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        double[] z = new double[p];
        for (int i = 0; i < p; i++) {
            double s = b[i];
            for (int k = 0; k < i; k++) {
                s -= l[i][k] * z[k];
            }
            z[i] = s / l[i][i];
        }
        double[] x = new double[p];
        for (int i = p - 1; i >= 0; i--) {
            double s = z[i];
            for (int k = i + 1; k < p; k++) {
                s -= l[k][i] * x[k];
            }
            x[i] = s / l[i][i];
        }
        return x;
    }

    private static double predict(double[] x, double[] beta, double intercept) {
        double s = intercept;
        for (int j = 0; j < beta.length; j++) {
            s += beta[j] * x[j];
        }
        return s;
    }

    static double r2(double[][] x, double[] y, int from, int to, double[] beta, double intercept) {
        double mean = 0;
        for (int r = from; r < to; r++) {
            mean += y[r];
        }
        mean /= to - from;
        double ssRes = 0;
        double ssTot = 0;
        for (int r = from; r < to; r++) {
            double e = y[r] - predict(x[r], beta, intercept);
            ssRes += e * e;
            ssTot += (y[r] - mean) * (y[r] - mean);
        }
        return ssTot == 0 ? Double.NaN : 1 - ssRes / ssTot;
    }

    static double mae(double[][] x, double[] y, int from, int to, double[] beta, double intercept) {
        double sum = 0;
        for (int r = from; r < to; r++) {
            sum += Math.abs(y[r] - predict(x[r], beta, intercept));
        }
        return sum / (to - from);
    }
}
