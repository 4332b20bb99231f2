// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The shipped {@code trained_model/}: the sample dataset is exactly the generator's output, and
 * the shipped model is what {@code smtcheck train} fits from it. Run with
 * {@code -Dsmtcheck.regenerate=true} to rewrite the dataset (then retrain, see docs/scores-and-models.md).
 */
class ShippedDataTest {
    private static final Path DIR = Path.of("trained_model");

    @Test
    void datasetIsTheGeneratorsOutput() throws Exception {
        Path file = DIR.resolve("sample_dataset.json");
        String expected = DataJson.writeFile(SyntheticDataset.generate(SyntheticDataset.SEED));
        if (Boolean.getBoolean("smtcheck.regenerate")) {
            Files.writeString(file, expected);
        }
        assertEquals(expected, Files.readString(file), "regenerate with -Dsmtcheck.regenerate=true");
    }

    @Test
    void shippedModelIsTheFitOfTheShippedDataset() throws Exception {
        Path newest = ModelFiles.newest(DIR).orElseThrow();
        PredictionModel shipped = ModelFiles.read(newest);
        assertTrue(shipped.training().from().contains("SYNTHETIC"), shipped.training().from());
        Dataset data = DataJson.parseFile(Files.readAllBytes(DIR.resolve("sample_dataset.json")), "sample_dataset.json");
        Trainer.Fit fit = Trainer.fit(Trainer.resourcesOf(data.baselines()), data.profiles(), data.samples(),
                new Trainer.Options(shipped.training().ridge(), 0.2, 1), "x", shipped.training().at());
        assertEquals(shipped.resources(), fit.model().resources());
        for (int j = 0; j < shipped.coefficients().length; j++) {
            assertEquals(fit.model().coefficient(j), shipped.coefficient(j), 1e-12);
        }
        assertEquals(fit.model().intercept(), shipped.intercept(), 1e-12);
        assertEquals(fit.heldOutR2(), shipped.training().r2(), 1e-12);
    }
}
