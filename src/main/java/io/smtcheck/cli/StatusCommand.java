// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.daemon.DaemonStatus;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "status",
        description = "Shows what the running daemon manages: monitor, model, store, workloads, cores, counters.")
final class StatusCommand extends DaemonClientCommand {
    @Override
    ObjectNode request() {
        return command("status");
    }

    @Override
    void print(PrintWriter out, JsonNode result) throws JsonProcessingException {
        print(out, JsonOutput.MAPPER.treeToValue(result, DaemonStatus.class));
    }

    /** Every field of the status, for people (docs/status.md describes each). */
    static void print(PrintWriter out, DaemonStatus s) {
        out.printf(Locale.ROOT, "smtcheck daemon, pid %d, up %s%s%n", s.pid(), duration(s.uptimeSeconds()),
                s.dryRun() ? " (dry run: pins nothing)" : "");
        out.println("monitor:  " + s.monitor());
        out.println("model:    " + s.model() + (s.modelFormat() == null ? "" : " (" + s.modelFormat() + " format)"));
        out.println("profiles: " + s.store());
        out.println("store:    " + (s.storeHealth() == null ? "unknown" : s.storeHealth()));
        out.printf(Locale.ROOT, "topology: %s (min-gain %s: running groups move only for more)%n", s.topology(),
                number(s.minGain()));
        if (s.config() != null) {
            printConfiguration(out, s.config());
        }
        out.println();
        out.printf(Locale.ROOT, "%-8s %-8s %-20s %-8s %-8s %-5s %-9s %-14s %-14s %-14s %s%n", "pgid", "job", "name",
                "workers", "profile", "slot", "slowdown", "ipc", "cycles", "instructions", "cpus");
        for (DaemonStatus.Workload w : s.workloads()) {
            DaemonStatus.Ipc ipc = w.ipc();
            out.printf(Locale.ROOT, "%-8d %-8d %-20s %-8d %-8s %-5s %-9s %-14s %-14s %-14s %s%n", w.pgid(), w.job(),
                    w.name() == null ? "-" : w.name(), w.workers(), w.profileKnown() ? "known" : "unknown",
                    w.slot() == null ? "-" : w.slot(),
                    w.predictedSlowdown() == null ? "-" : number(w.predictedSlowdown()), ipc(ipc), ipc == null ? "-" : ipc.cycles(),
                    ipc == null ? "-" : ipc.instructions(), cpus(w));
        }
        if (s.workloads().isEmpty()) {
            out.println("(no workloads)");
        }
        for (DaemonStatus.LeftAlone a : s.leftAlone()) {
            out.printf(Locale.ROOT, "left alone: group %d (%s): %s%n", a.pgid(), a.name(), a.reason());
        }
        // A client of an older daemon reads no such field.
        for (DaemonStatus.Profiling p : s.profiling() == null ? List.<DaemonStatus.Profiling>of() : s.profiling()) {
            out.printf(Locale.ROOT, "profiling in situ: group %d (job %d) on CPUs %s, %d of %d windows (%s)%n", p.pgid(),
                    p.job(), p.cpus(), p.done(), p.total(), p.current());
        }
        out.println();
        CoreTable.print(out, s.cores().stream()
                .map(c -> new CoreTable.Row(c.core(), c.cpus(), c.workloads(), c.score())).toList());
        out.println();
        DaemonStatus.Counters k = s.counters();
        out.printf(Locale.ROOT, "events %d, plans %d, pins %d (%d failed), moves %d, errors %d%s, changed by others"
                + " %d%s%n", k.events(), k.plans(), k.pins(), k.pinFailures(), k.moves(), k.errors(), byKind(k),
                k.changedByOthers(),
                k.profileRuleErrors() == null ? "" : ", process rules that failed " + k.profileRuleErrors());
        DaemonStatus.Latency l = s.eventToPinMs();
        out.println(l.samples() == 0 || l.median() == null ? "event to pin: no arrivals measured yet"
                : String.format(Locale.ROOT, "event to pin: median %s ms, p99 %s ms, max %s ms (%d arrivals)",
                        number(l.median()), number(l.p99()), number(l.max()), l.samples()));
    }

    /** The file, then each setting's value and origin; a change waiting for a restart is marked. */
    private static void printConfiguration(PrintWriter out, DaemonStatus.Configuration c) {
        out.println("config:   " + (c.file() == null ? "no file" : c.file()) + " (SIGHUP reloads: "
                + String.join(",", c.reloadable()) + "; other settings need a restart)");
        for (Map.Entry<String, DaemonStatus.Setting> e : c.settings().entrySet()) {
            DaemonStatus.Setting v = e.getValue();
            DaemonStatus.Pending p = v.pending();
            String restart = p == null ? "" : String.format(Locale.ROOT, "  [after a restart: %s, from %s]",
                    p.atRestart() == null ? "-" : p.atRestart(), p.atRestartFrom());
            out.printf(Locale.ROOT, "  %-16s %-32s %s%s%n", e.getKey(), v.value() == null ? "-" : v.value(),
                    v.from(), restart);
        }
    }

    /** The CPUs a workload is pinned to, and where the plan wants it while it is not there yet. */
    private static String cpus(DaemonStatus.Workload w) {
        String applied = w.cpus().isEmpty() ? "unpinned" : CoreTable.cpuList(w.cpus());
        if (w.pinError() == null && w.cpus().equals(w.wantedCpus())) {
            return applied;
        }
        String wanted = w.wantedCpus().isEmpty() ? "its original CPUs" : CoreTable.cpuList(w.wantedCpus());
        if (w.pinError() == null) {
            return applied + " (wants " + wanted + ")";
        }
        return applied + " (wants " + wanted + ", " + (w.pinFailures() == null ? 0 : w.pinFailures())
                + " failed pins: " + w.pinError() + ")";
    }

    /** The kinds of error that occurred, e.g. {@code " (pin 2, store 1)"}; empty without errors. */
    private static String byKind(DaemonStatus.Counters k) {
        // A client of an older daemon reads no such field.
        String kinds = k.errorsByKind() == null ? "" : k.errorsByKind().entrySet().stream()
                .filter(e -> e.getValue() > 0).map(e -> e.getKey() + " " + e.getValue())
                .collect(java.util.stream.Collectors.joining(", "));
        return kinds.isEmpty() ? "" : " (" + kinds + ")";
    }

    private static String ipc(DaemonStatus.Ipc ipc) {
        if (ipc == null) {
            return "unknown";
        }
        if (ipc.value() != null) {
            return String.format(Locale.ROOT, "%.3f", ipc.value());
        }
        return ipc.onCpuSeconds() == null ? "unknown" : String.format(Locale.ROOT, "%.1fs on-CPU", ipc.onCpuSeconds());
    }

    /** A number without trailing zeros: 2, 0.5, 3.125. */
    private static String number(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    private static String duration(long seconds) {
        return seconds >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
}
