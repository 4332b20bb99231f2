// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ResourceProfile;
import io.smtcheck.profiles.OriginalCharacteristics.BaselineRun;
import io.smtcheck.profiles.OriginalCharacteristics.Run;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The original SMTcheck's characteristics against values worked out by hand from its formulas
 * (docs/original-smtcheck.md). Machine: int_isq of 75 entries, watermark 6, medium ratio 0.8, so
 * the pressure points are 1, int(69 × 0.8) = 55 and 69.
 */
class OriginalCharacteristicsTest {
    private static final double EPS = 1e-12;
    private static final MachineDescription MACHINE = new MachineDescription(0.8,
            Map.of("int_isq", new MachineDescription.Sequential(75, 6)));
    private static final double SOLO = 1.25;

    private static Map<Run, Double> job(double... pressureWorkloadInjector) {
        Map<Run, Double> m = new HashMap<>();
        for (int i = 0; i + 2 < pressureWorkloadInjector.length + 1; i += 3) {
            int p = (int) pressureWorkloadInjector[i];
            m.put(new Run(p, false), pressureWorkloadInjector[i + 1]);
            if (!Double.isNaN(pressureWorkloadInjector[i + 2])) {
                m.put(new Run(p, true), pressureWorkloadInjector[i + 2]);
            }
        }
        return m;
    }

    private static void assertProfile(ResourceProfile r, double sensitivity, double intensity, double usage, double base) {
        assertEquals(sensitivity, r.sensitivity(), EPS, "sensitivity");
        assertEquals(intensity, r.intensity(), EPS, "intensity");
        assertEquals(usage, r.usage(), EPS, "usage");
        assertEquals(base, r.baseSlowdown(), EPS, "base slowdown");
    }

    private static final Map<BaselineRun, Double> ISQ_INJECTOR = Map.of(new BaselineRun(-1, 0), 2.0,
            new BaselineRun(-1, 1), 1.9, new BaselineRun(-1, 2), 1.7);

    @Test
    void sequentialUsageIsWhereTheLineThroughMediumAndHighMeetsTheLowIpc() {
        // low 1.0 (injector 1.5), medium 0.9, high 0.6: intensity 1 - 1.5/2 = 0.25, base 1 - 1/1.25 = 0.2,
        // sensitivity 1 - 0.6/1 = 0.4; the line through (55, 0.9) and (69, 0.6) reaches 1.0 at
        // 55 - 0.1 × 14/0.3 = 151/3, so the usage is (75 - 151/3)/75 = 74/225.
        ResourceProfile r = OriginalCharacteristics.characterise("int_isq", job(0, 1.0, 1.5, 1, 0.9, Double.NaN, 2, 0.6,
                Double.NaN), SOLO, ISQ_INJECTOR, MACHINE);
        assertProfile(r, 0.4, 0.25, 74.0 / 225, 0.2);
    }

    @Test
    void sequentialUsageIsClampedToTheWatermarksAndZeroBelowTheSensitivityThreshold() {
        // Low 2.0: the line reaches it at 55 - 1.1 × 14/0.3 = 3.67, left of the watermark 6: usage (75 - 6)/75.
        assertProfile(OriginalCharacteristics.characterise("int_isq", job(0, 2.0, 1.5, 1, 0.9, Double.NaN, 2, 0.6,
                Double.NaN), SOLO, ISQ_INJECTOR, MACHINE), 0.7, 0.25, 69.0 / 75, 0);
        // IPC rising from medium to high: the drop point is the usable maximum 69, usage 6/75.
        assertProfile(OriginalCharacteristics.characterise("int_isq", job(0, 1.0, 1.5, 1, 0.5, Double.NaN, 2, 0.7,
                Double.NaN), SOLO, ISQ_INJECTOR, MACHINE), 0.3, 0.25, 6.0 / 75, 0.2);
        // Sensitivity 1 - 0.98 = 0.02, not above 0.05: usage 0.
        assertProfile(OriginalCharacteristics.characterise("int_isq", job(0, 1.0, 1.5, 1, 0.99, Double.NaN, 2, 0.98,
                Double.NaN), SOLO, ISQ_INJECTOR, MACHINE), 0.02, 0.25, 0, 0.2);
        // Faster under pressure: the sensitivity becomes 1e-7, as in the original, and the usage 0.
        assertProfile(OriginalCharacteristics.characterise("int_isq", job(0, 1.0, 1.5, 1, 1.05, Double.NaN, 2, 1.1,
                Double.NaN), SOLO, ISQ_INJECTOR, MACHINE), 1e-7, 0.25, 0, 0.2);
    }

    @Test
    void parallelUsageComparesTheInjectorWithItsHighBaselines() {
        // intensity 1 - 1.6/2 = 0.2, base 1 - 1.1/1.25 = 0.12, sensitivity 1 - 0.88/1.1 = 0.2,
        // usage (1.8 - 1.4)/(1.8 - 1.0) = 0.5.
        Map<BaselineRun, Double> injector = Map.of(new BaselineRun(-1, 0), 2.0, new BaselineRun(-3, 0), 1.8,
                new BaselineRun(-3, 1), 1.0, new BaselineRun(-2, 0), 1.9);
        assertProfile(OriginalCharacteristics.characterise("l1_dcache", job(0, 1.1, 1.6, 1, 0.88, 1.4), SOLO, injector,
                null), 0.2, 0.2, 0.5, 0.12);
        // A job faster beside the injector than alone: base slowdown clamped to 0; usage above 1 clamped to 1.
        assertProfile(OriginalCharacteristics.characterise("l1_dcache", job(0, 1.5, 1.6, 1, 1.2, 0.5), SOLO, injector,
                null), 0.2, 0.2, 1, 0);
    }

    @Test
    void portSensitivityIsItsBaseSlowdownAndItsUsageItsIntensity() {
        // intensity 1 - 2.1/3 = 0.3, base = sensitivity = 1 - 1/1.25 = 0.2.
        assertProfile(OriginalCharacteristics.characterise("int_port", job(0, 1.0, 2.1), SOLO,
                Map.of(new BaselineRun(-1, 0), 3.0), null), 0.2, 0.3, 0.3, 0.2);
    }

    @Test
    void aProfileTakesItsSoloAndL3IpcFromTheMeasurementsAndLeavesOutWhatCannotBeComputed() {
        Map<String, Map<Run, Double>> ipc = new HashMap<>();
        ipc.put("single", job(0, 1.2, Double.NaN));
        ipc.put("l3_cache", job(0, 0.9, Double.NaN));
        ipc.put("int_port", job(0, 1.0, 2.1));
        ipc.put("int_isq", job(0, 1.0, 1.5, 1, 0.9, Double.NaN, 2, 0.6, Double.NaN));
        ipc.put("rob", job(0, 1.0, 1.0));
        Map<String, Map<BaselineRun, Double>> baselines = Map.of("int_port", Map.of(new BaselineRun(-1, 0), 3.0),
                "int_isq", ISQ_INJECTOR);

        OriginalCharacteristics.Result r = OriginalCharacteristics.profile(7, ipc, SOLO, baselines, null);
        Profile p = r.profile();
        assertEquals(7, p.jobId());
        assertEquals("job-7", p.name());
        assertEquals(1.2, p.singleIpc());
        assertEquals(0.75, p.scaleFactor(), EPS);
        assertEquals(java.util.Set.of("int_port"), p.resources().keySet());
        // Without a machine description the sequential resource is left out, saying why.
        assertTrue(r.leftOut().stream().anyMatch(s -> s.startsWith("int_isq: a sequential resource")
                && s.contains("--machine-description")), r.leftOut().toString());
        assertTrue(r.leftOut().stream().anyMatch(s -> s.startsWith("rob: not a resource")), r.leftOut().toString());

        // With the combination's solo missing, the solo run of the profiling is the base: 1 - 1/1.2.
        Profile fallback = OriginalCharacteristics.profile(7, ipc, Double.NaN, baselines, MACHINE).profile();
        assertEquals(1 - 1.0 / 1.2, fallback.resources().get("int_port").baseSlowdown(), EPS);
        assertEquals(74.0 / 225, fallback.resources().get("int_isq").usage(), EPS);
    }

    @Test
    void zeroAndMissingIpcAreNamedErrors() {
        InvalidDataException zero = assertThrows(InvalidDataException.class, () -> OriginalCharacteristics.characterise(
                "int_port", job(0, 1.0, 2.1), SOLO, Map.of(new BaselineRun(-1, 0), 0.0), null));
        assertEquals("int_port: the injector's solo IPC is 0", zero.getMessage());
        InvalidDataException missing = assertThrows(InvalidDataException.class, () -> OriginalCharacteristics
                .characterise("l1_dcache", job(0, 1.1, 1.6), SOLO, Map.of(new BaselineRun(-1, 0), 2.0), null));
        assertEquals("l1_dcache: no measurement of the job at pressure 1", missing.getMessage());
        InvalidDataException flat = assertThrows(InvalidDataException.class, () -> OriginalCharacteristics.characterise(
                "l1_dcache", job(0, 1.1, 1.6, 1, 0.88, 1.4), SOLO, Map.of(new BaselineRun(-1, 0), 2.0,
                        new BaselineRun(-3, 0), 1.0, new BaselineRun(-3, 1), 1.0), null));
        assertTrue(flat.getMessage().startsWith("l1_dcache: the injector's IPC beside its high variant"), flat.getMessage());

        Map<String, Map<Run, Double>> noSolo = new HashMap<>();
        noSolo.put("single", job(0, 0.0, Double.NaN));
        noSolo.put("l3_cache", job(0, 0.9, Double.NaN));
        InvalidDataException soloZero = assertThrows(InvalidDataException.class,
                () -> OriginalCharacteristics.profile(1, noSolo, Double.NaN, Map.of(), null));
        assertEquals("single: the solo IPC is 0.0, not > 0", soloZero.getMessage());
        InvalidDataException combinationZero = assertThrows(InvalidDataException.class,
                () -> OriginalCharacteristics.profile(1, Map.of("single", job(0, 1.0, Double.NaN), "l3_cache",
                        job(0, 0.9, Double.NaN)), 0.0, Map.of(), null));
        assertEquals("combination: the solo IPC is 0.0, not > 0", combinationZero.getMessage());
    }
}
