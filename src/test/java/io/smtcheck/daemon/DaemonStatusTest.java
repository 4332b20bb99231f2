// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The status records against their document and against the keys the status answer has always had. */
class DaemonStatusTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A status with every optional field set. */
    static DaemonStatus full() {
        Map<String, DaemonStatus.Setting> settings = new LinkedHashMap<>();
        settings.put("threshold", new DaemonStatus.Setting("3600", "/etc/smtcheck.conf:2", null));
        settings.put("min-gain", new DaemonStatus.Setting("0.05", "default",
                new DaemonStatus.Pending("0.5", "/etc/smtcheck.conf:5")));
        settings.put("mongo-uri", new DaemonStatus.Setting(null, "default",
                new DaemonStatus.Pending(null, "/etc/smtcheck.conf:7")));
        return new DaemonStatus(4242, 3725, true, "userspace (/proc scan)", "/models/m.json", "original", "embedded",
                "ok", "0,1;2,3", 0.05, 3600, 1.5, "failing since 2026-11-30T10:00:00Z: netlink: No buffer space available",
                new DaemonStatus.Plan("2026-11-30T10:00:01Z", "group 311 arrived", 1.875, 1.75, 1.9375, 1.625,
                        0.0714, 0.1538, 1),
                new DaemonStatus.Configuration("/etc/smtcheck.conf", List.of("include", "verbose"), settings),
                List.of(new DaemonStatus.Workload(311, 101, "stream-copy", 2, true, 7, List.of(0, 2), List.of(1, 3),
                        "Device or resource busy", 3, new DaemonStatus.Ipc(9001, 8002, 1.25, 4.5), 312, 0.3125, 0.25,
                        95.0, "2026-11-30T10:00:02Z", List.of(0, 1, 2, 3), List.of(0, 1, 2, 3),
                        "./stream-copy --size 64M")),
                List.of(new DaemonStatus.LeftAlone(422, "sleep", "excluded by comm=sleep")),
                List.of(new DaemonStatus.Core(0, List.of(0, 1), List.of("stream-copy [311]"), 0.875),
                        new DaemonStatus.Core(1, List.of(2, 3), List.of(), 0)),
                new DaemonStatus.Counters(51, 52, 53, 54, 55, Map.of("pin", 50L, "store", 5L), 59, 56L, 57, 62,
                        new io.smtcheck.profiling.CoRunObserver.Discards(10, 20, 3, 4, 5, 20).byKind(), 63),
                new DaemonStatus.Latency(58, 1.5, 2.75, 3.125),
                List.of(new DaemonStatus.Profiling(311, 101, List.of(2, 3), 5, 24, "with/l1_dcache/0.5000")));
    }

    @Test
    void theDocumentIsGeneratedFromTheRecords() throws Exception {
        Path doc = Path.of("docs/status.md");
        assertEquals(StatusSchema.markdown(), Files.readString(doc), doc + " differs from the status records: run"
                + " `java -cp target/smtcheck-daemon.jar io.smtcheck.daemon.StatusSchema docs/status.md` after"
                + " `mvn package`, and commit it");
    }

    @Test
    void theDocumentNamesEveryField() {
        String doc = StatusSchema.markdown();
        for (String key : keys(JSON.valueToTree(full()), "")) {
            String last = key.substring(key.lastIndexOf('.') + 1);
            if (key.startsWith("counters.errorsByKind.")) {
                continue; // the kinds are the map's keys, listed in the field's description
            }
            if (key.startsWith("counters.windowsDiscardedByKind.")) {
                String row = doc.lines().filter(l -> l.startsWith("| `windowsDiscardedByKind` |")).findFirst().orElse("");
                assertTrue(row.matches(".*[ :]" + last + "[, ].*"), key + ": the kind is not in the field's description");
                continue;
            }
            if (!key.startsWith("config.settings.") || last.startsWith("atRestart") || last.equals("value")
                    || last.equals("from")) {
                assertTrue(doc.contains("| `" + last + "` |"), key + " is not documented");
            }
        }
    }

    @Test
    void serialisesTheKeysStatusHasAlwaysHad() {
        JsonNode s = JSON.valueToTree(full());
        assertEquals(new TreeSet<>(List.of("pid", "uptimeSeconds", "dryRun", "monitor", "model", "modelFormat", "store",
                "storeHealth", "topology", "minGain", "thresholdSeconds", "intervalSeconds", "monitorHealth", "plan",
                "config", "workloads", "leftAlone", "cores", "counters", "eventToPinMs", "profiling")), names(s));
        assertEquals(new TreeSet<>(List.of("at", "why", "score", "keptScore", "optimalScore", "unpinnedScore",
                "gainOverKeeping", "gainOverUnpinned", "moved")), names(s.path("plan")));
        assertEquals(new TreeSet<>(List.of("pgid", "job", "cpus", "done", "total", "current")),
                names(s.path("profiling").get(0)));
        assertEquals(new TreeSet<>(List.of("pgid", "job", "name", "workers", "profileKnown", "slot", "cpus",
                "wantedCpus", "pinError", "pinFailures", "ipc", "partner", "predictedSlowdown", "observedSlowdown",
                "observedSeconds", "pinnedSince", "originalCpus", "allocation", "command")),
                names(s.path("workloads").get(0)));
        assertEquals(new TreeSet<>(List.of("cycles", "instructions", "value", "onCpuSeconds")),
                names(s.path("workloads").get(0).path("ipc")));
        assertEquals(new TreeSet<>(List.of("events", "plans", "pins", "moves", "errors", "errorsByKind", "pinFailures",
                "profileRuleErrors", "changedByOthers", "windowsDiscarded", "windowsDiscardedByKind",
                "observedUnwritten")),
                names(s.path("counters")));
        assertEquals(new TreeSet<>(List.of("samples", "median", "p99", "max")), names(s.path("eventToPinMs")));
        assertEquals(new TreeSet<>(List.of("core", "cpus", "workloads", "score")), names(s.path("cores").get(0)));
        assertEquals(new TreeSet<>(List.of("pgid", "name", "reason")), names(s.path("leftAlone").get(0)));
        assertEquals(new TreeSet<>(List.of("file", "reloadable", "settings")), names(s.path("config")));
        JsonNode settings = s.path("config").path("settings");
        assertEquals(new TreeSet<>(List.of("value", "from")), names(settings.path("threshold")));
        assertEquals(new TreeSet<>(List.of("value", "from", "atRestart", "atRestartFrom")),
                names(settings.path("min-gain")));
        assertTrue(settings.path("mongo-uri").has("atRestart"), "a pending unset value is shown as null");
        assertTrue(settings.path("mongo-uri").path("atRestart").isNull());
    }

    @Test
    void leavesOutOptionalFieldsWithoutValue() {
        DaemonStatus.Workload w = new DaemonStatus.Workload(1, 2, "x", 1, false, null, List.of(), List.of(), null,
                null, null, null, null, null, null, null, List.of(), null, null);
        JsonNode o = JSON.valueToTree(w);
        assertFalse(o.has("slot") || o.has("pinError") || o.has("pinFailures") || o.has("pinnedSince")
                || o.has("command") || o.has("allocation"), o.toString());
        assertFalse(o.has("partner") || o.has("predictedSlowdown") || o.has("observedSlowdown")
                || o.has("observedSeconds"), o.toString());
        JsonNode paired = JSON.valueToTree(new DaemonStatus.Workload(1, 2, "x", 1, true, null, List.of(0), List.of(0),
                null, null, null, 7, 0.25, 0.5, 120.0, null, List.of(0), null, null));
        assertEquals(7, paired.path("partner").asInt());
        assertEquals(0.25, paired.path("predictedSlowdown").asDouble());
        assertEquals(0.5, paired.path("observedSlowdown").asDouble());
        assertEquals(120.0, paired.path("observedSeconds").asDouble());
        assertTrue(o.has("ipc") && o.path("ipc").isNull(), "ipc is null until counters were read: " + o);
        JsonNode lat = JSON.valueToTree(new DaemonStatus.Latency(0, null, null, null));
        assertEquals("{\"samples\":0}", lat.toString());
    }

    @Test
    void readsBackWhatItWrites() throws Exception {
        DaemonStatus s = full();
        assertEquals(s, JSON.readValue(JSON.writeValueAsString(s), DaemonStatus.class));
        JsonNode tree = JSON.valueToTree(s);
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree).put("addedLater", 1);
        assertEquals(s, JSON.treeToValue(tree, DaemonStatus.class), "a field it does not know is ignored");
    }

    private static TreeSet<String> names(JsonNode o) {
        TreeSet<String> out = new TreeSet<>();
        o.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static List<String> keys(JsonNode o, String prefix) {
        List<String> out = new java.util.ArrayList<>();
        if (o.isObject()) {
            o.fields().forEachRemaining(e -> {
                out.add(prefix + e.getKey());
                out.addAll(keys(e.getValue(), prefix + e.getKey() + "."));
            });
        } else if (o.isArray() && !o.isEmpty()) {
            out.addAll(keys(o.get(0), prefix));
        }
        return out;
    }
}
