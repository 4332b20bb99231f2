// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;

@Command(name = "status",
        description = "Shows what the running daemon manages: monitor, model, store, workloads, cores, counters.")
final class StatusCommand extends DaemonClientCommand {
    @Override
    ObjectNode request() {
        return command("status");
    }

    @Override
    void print(PrintWriter out, JsonNode s) {
        out.printf(Locale.ROOT, "smtcheck daemon, pid %d, up %s%s%n", s.path("pid").asLong(),
                duration(s.path("uptimeSeconds").asLong()), s.path("dryRun").asBoolean() ? " (dry run: pins nothing)" : "");
        out.println("monitor:  " + s.path("monitor").asText());
        out.println("model:    " + s.path("model").asText());
        out.println("profiles: " + s.path("store").asText());
        out.println("store:    " + s.path("storeHealth").asText("unknown"));
        out.println("topology: " + s.path("topology").asText());
        printConfiguration(out, s.path("config"));
        out.println();
        out.printf(Locale.ROOT, "%-8s %-8s %-20s %-8s %-12s %-14s %s%n", "pgid", "job", "name", "workers", "profile",
                "ipc", "cpus");
        for (JsonNode w : s.path("workloads")) {
            out.printf(Locale.ROOT, "%-8d %-8d %-20s %-8d %-12s %-14s %s%n", w.path("pgid").asInt(), w.path("job").asInt(),
                    w.path("name").asText("-"), w.path("workers").asInt(),
                    w.path("profileKnown").asBoolean() ? "known" : "unknown", ipc(w.path("ipc")),
                    cpus(w));
        }
        if (s.path("workloads").isEmpty()) {
            out.println("(no workloads)");
        }
        for (JsonNode a : s.path("leftAlone")) {
            out.printf(Locale.ROOT, "left alone: group %d (%s): %s%n", a.path("pgid").asInt(), a.path("name").asText(),
                    a.path("reason").asText());
        }
        out.println();
        out.printf(Locale.ROOT, "%-5s %-10s %-40s %8s%n", "core", "cpus", "workloads", "score");
        for (JsonNode c : s.path("cores")) {
            StringBuilder names = new StringBuilder();
            for (JsonNode n : c.path("workloads")) {
                names.append(names.length() == 0 ? "" : " + ").append(n.asText());
            }
            out.printf(Locale.ROOT, "%-5d %-10s %-40s %8.4f%n", c.path("core").asInt(), join(c.path("cpus")),
                    names.length() == 0 ? "-" : names, c.path("score").asDouble());
        }
        out.println();
        JsonNode k = s.path("counters");
        out.printf(Locale.ROOT, "events %d, plans %d, pins %d, errors %d%n", k.path("events").asLong(),
                k.path("plans").asLong(), k.path("pins").asLong(), k.path("errors").asLong());
    }

    /** The file, then each setting's value and origin; a change waiting for a restart is marked. */
    private static void printConfiguration(PrintWriter out, JsonNode c) {
        if (c.isMissingNode()) {
            return;
        }
        out.println("config:   " + c.path("file").asText("no file") + " (SIGHUP reloads: " + join(c.path("reloadable"))
                + "; other settings need a restart)");
        c.path("settings").fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            String restart = v.has("atRestartFrom") ? String.format(Locale.ROOT, "  [after a restart: %s, from %s]",
                    v.path("atRestart").asText("-"), v.path("atRestartFrom").asText()) : "";
            out.printf(Locale.ROOT, "  %-16s %-32s %s%s%n", e.getKey(), v.path("value").asText("-"),
                    v.path("from").asText(), restart);
        });
    }

    /** The CPUs a workload is pinned to, and what it should be pinned to while a pin fails. */
    private static String cpus(JsonNode w) {
        String applied = w.path("cpus").isEmpty() ? "unpinned" : join(w.path("cpus"));
        if (!w.has("pinError")) {
            return applied;
        }
        String wanted = w.path("wantedCpus").isEmpty() ? "its original CPUs" : join(w.path("wantedCpus"));
        return applied + " (wants " + wanted + ", " + w.path("pinFailures").asInt() + " failed pins: "
                + w.path("pinError").asText() + ")";
    }

    private static String ipc(JsonNode ipc) {
        if (ipc.isMissingNode() || ipc.isNull()) {
            return "unknown";
        }
        if (ipc.has("value")) {
            return String.format(Locale.ROOT, "%.3f", ipc.get("value").asDouble());
        }
        return String.format(Locale.ROOT, "%.1fs on-CPU", ipc.path("onCpuSeconds").asDouble());
    }

    private static String join(JsonNode array) {
        StringBuilder s = new StringBuilder();
        for (JsonNode n : array) {
            s.append(s.length() == 0 ? "" : ",").append(n.asText());
        }
        return s.toString();
    }

    private static String duration(long seconds) {
        return seconds >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
}
