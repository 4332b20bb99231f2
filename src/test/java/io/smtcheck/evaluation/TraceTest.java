// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.smtcheck.model.InvalidDataException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TraceTest {
    @Test
    void readsJobsInArrivalOrderSkippingCommentsAndBlankLines() {
        Trace t = Trace.parse("# arrival work workers payload\n\n2.5 12.5 2 b\n0 30 1 a\n2.5 1 1 c\n", "t");
        assertEquals(List.of(new Trace.Job("j4", 0, 30, 1, "a"), new Trace.Job("j3", 2.5, 12.5, 2, "b"),
                new Trace.Job("j5", 2.5, 1, 1, "c")), t.jobs());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "-1 10 1 a  | t: line 2: arrival_s: -1 is negative",
        "x 10 1 a   | t: line 2: arrival_s: 'x' is not a finite number",
        "NaN 10 1 a | t: line 2: arrival_s: 'NaN' is not a finite number",
        "0 0 1 a    | t: line 2: work_s: 0 is not more than 0",
        "0 -3 1 a   | t: line 2: work_s: -3 is not more than 0",
        "0 10 0 a   | t: line 2: workers: 0 is fewer than 1",
        "0 10 1.5 a | t: line 2: workers: '1.5' is not a whole number",
        "0 10 1     | t: line 2: 3 fields; expected 4: arrival_s work_s workers payload [command...]",
    })
    void aBadLineIsRefusedNamingTheLineAndTheField(String line, String message) {
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> Trace.parse("0 1 1 ok\n" + line.strip() + "\n", "t"));
        assertEquals(message, e.getMessage());
    }

    @Test
    void anEmptyTraceIsRefused() {
        assertEquals("t: no jobs", assertThrows(InvalidDataException.class, () -> Trace.parse("# nothing\n", "t"))
                .getMessage());
    }

    @Test
    void aGeneratedLoadIsTheSameForTheSameSeedAndReadsBackFromItsText() {
        Trace one = LoadGenerator.generate(42, 50, 0.5, List.of("x", "y", "z"), 10, 60);
        Trace two = LoadGenerator.generate(42, 50, 0.5, List.of("x", "y", "z"), 10, 60);
        assertEquals(one.format(), two.format());
        assertNotEquals(one.format(), LoadGenerator.generate(43, 50, 0.5, List.of("x", "y", "z"), 10, 60).format());
        Trace back = Trace.parse(one.format(), "written");
        for (int i = 0; i < one.jobs().size(); i++) {
            Trace.Job a = one.jobs().get(i);
            Trace.Job b = back.jobs().get(i);
            assertEquals(a.arrival(), b.arrival());
            assertEquals(a.work(), b.work());
            assertEquals(a.workers(), b.workers());
            assertEquals(a.payload(), b.payload());
        }
    }

    @Test
    void generatedArrivalsHaveTheRateAsked() {
        // Poisson arrivals at 4 per second: 20 000 jobs arrive over about 5 000 s (sd of the sum ~35 s).
        Trace t = LoadGenerator.generate(1, 20_000, 4, List.of("x"), 1, 2);
        double last = t.jobs().get(t.jobs().size() - 1).arrival();
        assertEquals(5000, last, 200);
        double meanWork = t.jobs().stream().mapToDouble(Trace.Job::work).average().orElseThrow();
        assertEquals(1.5, meanWork, 0.02);
    }

    @Test
    void generatorParametersOutOfRangeAreNamed() {
        assertEquals("rate: 0.0 arrivals per second is not more than 0", assertThrows(IllegalArgumentException.class,
                () -> LoadGenerator.generate(1, 5, 0, List.of("x"), 1, 2)).getMessage());
        assertEquals("mix: no payloads to draw from", assertThrows(IllegalArgumentException.class,
                () -> LoadGenerator.generate(1, 5, 1, List.of(), 1, 2)).getMessage());
    }
}
