// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainerTest {
    private static final Instant AT = Instant.parse("2025-01-01T00:00:00Z");

    @Test
    void recoversKnownCoefficientsFromNoisySamples() {
        Dataset data = SyntheticDataset.generate(SyntheticDataset.SEED);
        List<Resource> resources = Trainer.resourcesOf(data.baselines());
        // The baselines sorted by name happen to be the generator's order.
        assertEquals(SyntheticDataset.RESOURCES, resources);
        Trainer.Fit fit = Trainer.fit(resources, data.profiles(), data.samples(), Trainer.Options.DEFAULT, "test", AT);
        PredictionModel m = fit.model();
        for (int j = 0; j < SyntheticDataset.TRUE_COEFFICIENTS.length; j++) {
            assertEquals(SyntheticDataset.TRUE_COEFFICIENTS[j], m.coefficient(j), 0.05, m.featureNames().get(j));
        }
        assertEquals(SyntheticDataset.TRUE_INTERCEPT, m.intercept(), 0.02);
        assertTrue(fit.heldOutR2() > 0.95, "held-out R² " + fit.heldOutR2());
        // Noise sd 0.01: the mean absolute error of a right model is about 0.008.
        assertTrue(fit.heldOutMae() < 0.012, "held-out MAE " + fit.heldOutMae());
        assertEquals(data.samples().size(), m.training().samples() + m.training().heldOutSamples());
        assertEquals(2 * m.training().heldOutSamples(), fit.heldOutRows());
    }

    @Test
    void recoversExactCoefficientsWithoutNoiseOrRidge() {
        PredictionModel truth = SyntheticDataset.trueModel();
        Dataset data = SyntheticDataset.generate(5);
        List<CoRunSample> exact = new java.util.ArrayList<>();
        java.util.Map<Integer, Profile> byJob = new java.util.HashMap<>();
        data.profiles().forEach(p -> byJob.put(p.jobId(), p));
        for (CoRunSample s : data.samples()) {
            ScoreFormula.Operand a = ScoreFormula.prepare(truth, byJob.get(s.jobA()));
            ScoreFormula.Operand b = ScoreFormula.prepare(truth, byJob.get(s.jobB()));
            exact.add(new CoRunSample(s.jobA(), s.jobB(), ScoreFormula.slowdown(truth, a, b), ScoreFormula.slowdown(truth, b, a)));
        }
        Trainer.Fit fit = Trainer.fit(SyntheticDataset.RESOURCES, data.profiles(), exact,
                new Trainer.Options(0, 0.25, 3), "exact", AT);
        for (int j = 0; j < SyntheticDataset.TRUE_COEFFICIENTS.length; j++) {
            assertEquals(SyntheticDataset.TRUE_COEFFICIENTS[j], fit.model().coefficient(j), 1e-9);
        }
        assertEquals(SyntheticDataset.TRUE_INTERCEPT, fit.model().intercept(), 1e-9);
        assertEquals(1.0, fit.heldOutR2(), 1e-12);
    }

    @Test
    void fitIsDeterministicForASeed() {
        Dataset data = SyntheticDataset.generate(SyntheticDataset.SEED);
        Trainer.Fit a = Trainer.fit(SyntheticDataset.RESOURCES, data.profiles(), data.samples(), Trainer.Options.DEFAULT, "x", AT);
        Trainer.Fit b = Trainer.fit(SyntheticDataset.RESOURCES, data.profiles(), data.samples(), Trainer.Options.DEFAULT, "x", AT);
        assertEquals(a.model(), b.model());
    }

    @Test
    void badTrainingData() {
        Dataset data = SyntheticDataset.generate(1);
        List<Resource> rs = SyntheticDataset.RESOURCES;
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> Trainer.fit(rs, data.profiles(),
                List.of(new CoRunSample(101, 999, 0.1, 0.1)), Trainer.Options.DEFAULT, "x", AT));
        assertEquals("samples[0]: job 999 has no profile", e.getMessage());
        e = assertThrows(InvalidDataException.class, () -> Trainer.fit(rs, data.profiles(),
                data.samples().subList(0, 6), Trainer.Options.DEFAULT, "x", AT));
        assertTrue(e.getMessage().startsWith("6 samples are too few: 6 features need at least 6 training samples"),
                e.getMessage());
        // One workload with itself over and over: every feature constant, nothing to fit without ridge.
        List<CoRunSample> same = java.util.Collections.nCopies(20, new CoRunSample(101, 101, 0.2, 0.2));
        e = assertThrows(InvalidDataException.class, () -> Trainer.fit(rs, data.profiles(), same,
                new Trainer.Options(0, 0.2, 1), "x", AT));
        assertTrue(e.getMessage().startsWith("the features are collinear"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Trainer.Options(-1, 0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> new Trainer.Options(0, 0.95, 1));
    }
}
