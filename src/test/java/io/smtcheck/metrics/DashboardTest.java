// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** How metric names are told apart from the rest of a PromQL expression (the endpoint test compares them with a scrape). */
class DashboardTest {
    @Test
    void findsMetricNamesButNotFunctionsLabelsOrClauses() {
        assertEquals(Set.of("a_bucket"), Dashboard.metricNames(
                "histogram_quantile(0.99, sum by (le) (rate(a_bucket{instance=~\"$instance\", x=\"y{z}\"}[5m])))"));
        assertEquals(Set.of("a_sum", "b_count"), Dashboard.metricNames("rate(a_sum[1m]) / on (job) rate(b_count[1m])"));
        assertEquals(Set.of("up"), Dashboard.metricNames("sum without (kind) (increase(up[1h])) > bool 1e3"));
    }
}
