// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smtcheck.model.ResourceType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UsageFitTest {
    private static final double[] LEVELS = {0.25, 0.5, 0.75, 1.0};

    private static double[] curve(ResourceType type, double usage, double scale) {
        double[] s = new double[LEVELS.length];
        for (int k = 0; k < LEVELS.length; k++) {
            s[k] = scale * type.activation(usage, LEVELS[k]);
        }
        return s;
    }

    @ParameterizedTest
    @CsvSource({"SEQUENTIAL, 0.6", "SEQUENTIAL, 0.9", "SEQUENTIAL, 1.0", "PARALLEL, 0.2", "PARALLEL, 0.5", "PARALLEL, 1.0"})
    void recoversTheUsageThatShapedBothCurves(ResourceType type, double usage) {
        double fitted = UsageFit.usage(type, LEVELS, curve(type, usage, 0.4), curve(type, usage, 0.7));
        assertEquals(usage, fitted, 0.011);
    }

    @ParameterizedTest
    @CsvSource({"SEQUENTIAL, 0.7", "PARALLEL, 0.4"})
    void oneSeriesIsEnoughWhenTheOtherIsNoise(ResourceType type, double usage) {
        double[] flat = {0.005, -0.01, 0.0, 0.01};
        assertEquals(usage, UsageFit.usage(type, LEVELS, curve(type, usage, 0.5), flat), 0.011);
        assertEquals(usage, UsageFit.usage(type, LEVELS, flat, curve(type, usage, 0.5)), 0.011);
    }

    @ParameterizedTest
    @CsvSource({"SEQUENTIAL", "PARALLEL"})
    void slowdownsBelowTheNoiseFloorMeanNoMeasurableUse(ResourceType type) {
        double[] flat = {0.01, -0.005, 0.015, 0.012};
        assertEquals(0.0, UsageFit.usage(type, LEVELS, flat, flat));
    }

    @ParameterizedTest
    @CsvSource({"SEQUENTIAL", "PARALLEL"})
    void aBlipAtALowLevelIsNoShape(ResourceType type) {
        double[] blip = {0.04, 0.0, 0.01, 0.005};
        assertEquals(0.0, UsageFit.usage(type, LEVELS, blip, blip));
    }

    @org.junit.jupiter.api.Test
    void aSequentialResourceUsedLittleShowsContentionOnlyAtTheTop() {
        // Usage 0.3: beside an injector at 0.5 the two fit (0.3 + 0.5 <= 1); the onset between 0.5 and 1 tells 0.3.
        double[] s = curve(ResourceType.SEQUENTIAL, 0.3, 1.0);
        assertEquals(0.0, s[1]);
        assertEquals(0.3, UsageFit.usage(ResourceType.SEQUENTIAL, LEVELS, s, s), 0.011);
    }
}
