// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smtcheck.sched.Topology;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The metrics' event-to-pin buckets: upper bounds inclusive, as Prometheus's {@code le} reads them. */
class LatencyHistogramTest {
    @Test
    void eachLatencyLandsInTheFirstBucketThatHoldsIt() {
        DaemonState state = new DaemonState(Topology.parse("0"));
        state.recordLatency(300_000); // 0.3 ms
        state.recordLatency(1_000_000); // 1 ms: on the bound
        state.recordLatency(1_000_001);
        state.recordLatency(20_000_000_000L); // 20 s: past the last bound
        state.resetLatencies(); // status's samples start over; the histogram does not
        LatencyHistogram h = state.histogram();
        List<Long> expected = new ArrayList<>(Collections.nCopies(LatencyHistogram.BOUNDS_SECONDS.length + 1, 0L));
        expected.set(0, 1L);
        expected.set(1, 1L);
        expected.set(2, 1L);
        expected.set(expected.size() - 1, 1L);
        assertEquals(expected, h.counts());
        assertEquals(4, h.count());
        assertEquals(20.002300001, h.sumSeconds(), 1e-9);
        assertEquals(0, state.sortedLatencies().length);
    }
}
