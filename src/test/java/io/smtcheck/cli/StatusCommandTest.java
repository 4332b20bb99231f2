// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.daemon.DaemonStatus;
import io.smtcheck.daemon.StatusText;
import io.smtcheck.sched.CoreTable;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** `smtcheck status` for people: every field of the answer has its place in the output. */
class StatusCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static DaemonStatus full() {
        Map<String, DaemonStatus.Setting> settings = new LinkedHashMap<>();
        settings.put("threshold", new DaemonStatus.Setting("3600", "/etc/smtcheck.conf:2", null));
        settings.put("min-gain", new DaemonStatus.Setting("0.05", "default",
                new DaemonStatus.Pending("0.5", "/etc/smtcheck.conf:5")));
        return new DaemonStatus(4242, 3725, true, "userspace (/proc scan)", "/models/m.json", "original", "embedded",
                "failing since 2026-01-01", "0,1;2,3", 0.0625, 600, 0.25, "ok",
                new DaemonStatus.Plan("2026-11-30T10:00:01Z", "group 312 arrived", 1.875, 1.75, 1.9375, 1.625,
                        0.0714, 0.1538, 2),
                new DaemonStatus.Configuration("/etc/smtcheck.conf", List.of("include", "verbose"), settings),
                List.of(new DaemonStatus.Workload(311, 101, "stream-copy", 2, true, 7, List.of(0, 2), List.of(1, 3),
                                "Device or resource busy", 3, new DaemonStatus.Ipc(9001, 8002, 1.25, null),
                                312, 0.3125, 0.25, 95.0, "2026-11-30T10:00:02Z", List.of(0, 1, 2, 3),
                                List.of(0, 1, 2, 3), "./stream-copy --size 64M"),
                        new DaemonStatus.Workload(312, 102, "gzip", 1, false, null, List.of(1), List.of(2), null,
                                null, new DaemonStatus.Ipc(7001, 0, null, 4.5), 311, 0.4375, null, null, null,
                                List.of(0, 1, 2, 3), null, null)),
                List.of(new DaemonStatus.LeftAlone(422, "sleep", "excluded by comm=sleep")),
                List.of(new DaemonStatus.Core(0, List.of(0, 1), List.of("stream-copy [311]"), 0.875),
                        new DaemonStatus.Core(1, List.of(2, 3), List.of(), 0)),
                new DaemonStatus.Counters(51, 52, 53, 54, 55, Map.of("pin", 50L, "store", 5L), 59, 56L, 57, 62,
                        new io.smtcheck.profiling.CoRunObserver.Discards(10, 20, 3, 4, 5, 20).byKind(), 63),
                new DaemonStatus.Latency(58, 1.5, 2.75, 3.125), List.of());
    }

    private static String printed(DaemonStatus s) {
        StringWriter out = new StringWriter();
        StatusText.print(new PrintWriter(out, true), s);
        return out.toString();
    }

    @Test
    void printsEveryValueOfTheAnswer() {
        DaemonStatus s = full();
        String out = printed(s);
        List<String> leaves = new ArrayList<>();
        leaves(JSON.valueToTree(s), "", leaves);
        for (String leaf : leaves) {
            String value = leaf.substring(leaf.indexOf('=') + 1);
            assertTrue(out.contains(value), leaf + " is not shown:\n" + out);
        }
        assertTrue(out.contains("1h02m"), "the uptime, as a duration");
        assertTrue(out.contains("dry run"), out);
        assertTrue(out.contains("known") && out.contains("unknown"), out);
        assertTrue(out.contains("4.5s on-CPU"), out);
        assertTrue(out.contains(" 1 (wants 2)"), "a pin not applied yet shows where it should be: " + out);
        assertTrue(out.contains("62 windows discarded (stopped 10, unchanged 20, wentBack 3, jumped 4, fasterThanAlone 5,"
                + " ambiguous 20), 63 samples"), out);
    }

    @Test
    void printsTheSameAnswerReadFromJson() throws Exception {
        StringWriter fromJson = new StringWriter();
        new StatusCommand().print(new PrintWriter(fromJson, true), JSON.valueToTree(full()));
        assertEquals(printed(full()), fromJson.toString());
    }

    @Test
    void theCoreTableIsPlansTable() {
        String out = printed(full());
        StringWriter table = new StringWriter();
        CoreTable.print(new PrintWriter(table, true), List.of(
                new CoreTable.Row(0, List.of(0, 1), List.of("stream-copy [311]"), 0.875),
                new CoreTable.Row(1, List.of(2, 3), List.of(), 0)));
        assertTrue(out.contains(table.toString()), out);
    }

    /** Each scalar of the answer as path=text, except the booleans and the uptime, which are printed as words. */
    private static void leaves(JsonNode n, String path, List<String> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> leaves(e.getValue(), path + "." + e.getKey(), out));
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                leaves(n.get(i), path + "[" + i + "]", out);
            }
        } else if (n.isNumber() && !path.equals(".uptimeSeconds")) {
            out.add(path + "=" + new java.math.BigDecimal(n.asText()).stripTrailingZeros().toPlainString());
        } else if (n.isTextual()) {
            out.add(path + "=" + n.asText());
        }
    }
}
