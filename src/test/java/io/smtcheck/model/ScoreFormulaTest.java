// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.sched.PairingInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScoreFormulaTest {
    private static final double EPS = 1e-12;

    // A: seq (0.5, 0.4, 0.7, base 0.2), par (0.8, 0.3, 0.5, base 0.1), IPC 2.0 alone, 1.8 with L3 contended.
    private static final Profile A = Fixtures.profile(1, "a", 2.0, 1.8,
            new ResourceProfile(0.5, 0.4, 0.7, 0.2), new ResourceProfile(0.8, 0.3, 0.5, 0.1));
    // B: seq (0.6, 0.5, 0.6, base 0.3), par (0.2, 0.9, 0.4, base 0.25), scale factor 1.
    private static final Profile B = Fixtures.profile(2, "b", 1.0, 1.0,
            new ResourceProfile(0.6, 0.5, 0.6, 0.3), new ResourceProfile(0.2, 0.9, 0.4, 0.25));

    @Test
    void activations() {
        assertEquals(0.3, ResourceType.SEQUENTIAL.activation(0.7, 0.6), EPS);
        assertEquals(0.0, ResourceType.SEQUENTIAL.activation(0.3, 0.4), EPS, "below capacity: no contention");
        assertEquals(0.09, ResourceType.PARALLEL.activation(0.5, 0.4), EPS, "0.5*0.4*(0.9/2)");
        assertEquals(0.0, ResourceType.PARALLEL.activation(0.0, 1.0), EPS);
        assertEquals(1.0, ResourceType.PARALLEL.activation(1.0, 1.0), EPS);
    }

    @Test
    void handWorkedPair() {
        PredictionModel m = Fixtures.model();
        ScoreFormula.Operand a = ScoreFormula.prepare(m, A);
        ScoreFormula.Operand b = ScoreFormula.prepare(m, B);
        assertEquals(0.1, a.minBaseSlowdown(), EPS, "min over resources of A's base slowdowns");
        assertEquals(0.25, b.minBaseSlowdown(), EPS);
        assertEquals(0.9, a.scaleFactor(), EPS, "l3_cache_ipc / single_ipc");
        // A beside B: seq 0.5*0.5*0.3 = 0.075; par 0.8*0.9*0.09 = 0.0648.
        assertArrayEquals(new double[] {0.1, 0.075, 0.0648}, ScoreFormula.features(m, a, b), EPS);
        // 0.1 + 0.5*0.1 + 0.4*0.075 + 0.6*0.0648
        assertEquals(0.21888, ScoreFormula.slowdown(m, a, b), EPS);
        assertEquals(0.9 * (1 - 0.21888), ScoreFormula.compat(m, a, b), EPS);
        // B beside A: seq 0.6*0.4*0.3 = 0.072; par 0.2*0.3*0.09 = 0.0054.
        assertArrayEquals(new double[] {0.25, 0.072, 0.0054}, ScoreFormula.features(m, b, a), EPS);
        assertEquals(0.25704, ScoreFormula.slowdown(m, b, a), EPS);
        assertEquals(0.74296, ScoreFormula.compat(m, b, a), EPS);
        assertEquals(0.703008 + 0.74296, ScoreFormula.symbiotic(m, a, b), EPS);
        assertEquals(ScoreFormula.symbiotic(m, a, b), ScoreFormula.symbiotic(m, b, a), 0.0);
    }

    @Test
    void compatIsClampedToUnitInterval() {
        // Scale factor 1.5 and a tiny slowdown: 1.5 * 0.9 = 1.35, clamped to 1.
        Profile fast = Fixtures.profile(3, "fast", 1.0, 1.5,
                new ResourceProfile(0, 0, 0, 0), new ResourceProfile(0, 0, 0, 0));
        PredictionModel m = Fixtures.model();
        ScoreFormula.Operand f = ScoreFormula.prepare(m, fast);
        assertEquals(1.0, ScoreFormula.compat(m, f, f), 0.0);
        assertEquals(1.0, ScoreFormula.alone(f), 0.0);
        // A slowdown above 1 would make compat negative: clamped to 0.
        PredictionModel harsh = Fixtures.model(new double[] {5, 5, 5}, 0.9);
        ScoreFormula.Operand a = ScoreFormula.prepare(harsh, A);
        ScoreFormula.Operand b = ScoreFormula.prepare(harsh, B);
        assertTrue(ScoreFormula.slowdown(harsh, a, b) > 1);
        assertEquals(0.0, ScoreFormula.compat(harsh, a, b), 0.0);
        assertEquals(0.0, ScoreFormula.symbiotic(harsh, a, b), 0.0);
    }

    @Test
    void minBaseSlowdownCountsOnlyTheModelsResources() {
        Profile extra = new Profile(4, "extra", null, 1, 1.0, 1.0, Map.of(
                "seq", new ResourceProfile(0.1, 0.1, 0.1, 0.4), "par", new ResourceProfile(0.1, 0.1, 0.1, 0.3),
                "other", new ResourceProfile(0.1, 0.1, 0.1, 0.01)));
        assertEquals(0.3, ScoreFormula.prepare(Fixtures.model(), extra).minBaseSlowdown(), EPS);
    }

    @Test
    void profileWithoutAModelResourceCannotBePrepared() {
        Profile partial = new Profile(5, "partial", null, 1, 1.0, 1.0, Map.of("seq", new ResourceProfile(0, 0, 0, 0)));
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> ScoreFormula.prepare(Fixtures.model(), partial));
        assertEquals("profile 'partial' (job 5) has no data for the model's resource par", e.getMessage());
    }

    /** Property: over random models and profiles, the matrix is symmetric and within [0, 2]. */
    @Test
    void randomMatricesAreSymmetricAndInRange() {
        Random r = new Random(7);
        for (int round = 0; round < 50; round++) {
            List<Resource> resources = new ArrayList<>();
            int count = 1 + r.nextInt(6);
            for (int i = 0; i < count; i++) {
                resources.add(new Resource("r" + i, r.nextBoolean() ? ResourceType.SEQUENTIAL : ResourceType.PARALLEL));
            }
            double[] coef = new double[count + 1];
            for (int i = 0; i < coef.length; i++) {
                coef[i] = r.nextGaussian();
            }
            PredictionModel m = new PredictionModel(resources, coef, r.nextGaussian() * 0.3, Fixtures.training());
            ScoreTable table = new ScoreTable(m);
            int n = 1 + r.nextInt(20);
            for (int i = 0; i < n; i++) {
                table.put("k" + i, r.nextInt(10) == 0 ? null : Fixtures.random(r, i, resources), 1 + r.nextInt(3));
            }
            double[][] s = table.matrix();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(s[i][j], s[j][i], 0.0, "symmetric");
                    assertTrue(s[i][j] >= 0 && s[i][j] <= 2, "in [0, 2]: " + s[i][j]);
                }
            }
            double solo = table.solo();
            assertTrue(solo >= 0 && solo <= 1, "solo in [0, 1]: " + solo);
            PairingInput.of(table); // validates symmetry and finiteness again
        }
    }
}
