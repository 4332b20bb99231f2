// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.sched.CoreTable;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The status for people: every field of {@link DaemonStatus} has its place (docs/status.md says
 * what each means). `smtcheck status` prints it from the answer it reads, and the daemon renders it
 * itself when a client asks for text, so that a client need not be a JVM to show it.
 */
public final class StatusText {
    private StatusText() {
    }

    /** The whole text, as {@link #print} writes it. */
    public static String render(DaemonStatus s) {
        StringWriter out = new StringWriter();
        print(new PrintWriter(out), s);
        return out.toString();
    }

    public static void print(PrintWriter out, DaemonStatus s) {
        out.printf(Locale.ROOT, "smtcheck daemon, pid %d, up %s%s%n", s.pid(), duration(s.uptimeSeconds()),
                s.dryRun() ? " (dry run: pins nothing)" : "");
        out.println("monitor:  " + s.monitor() + (s.monitorHealth() == null ? "" : "; " + s.monitorHealth()));
        out.println("model:    " + s.model() + (s.modelFormat() == null ? "" : " (" + s.modelFormat() + " format)"));
        out.println("profiles: " + s.store());
        out.println("store:    " + (s.storeHealth() == null ? "unknown" : s.storeHealth()));
        out.printf(Locale.ROOT, "topology: %s (min-gain %s: running groups move only for more)%n", s.topology(),
                number(s.minGain()));
        out.printf(Locale.ROOT, "timing:   threshold %d s (a group runs that long before it is placed), interval %s s%n",
                s.thresholdSeconds(), number(s.intervalSeconds()));
        printPlan(out, s.plan());
        if (s.config() != null) {
            printConfiguration(out, s.config());
        }
        out.println();
        out.printf(Locale.ROOT, "%-8s %-8s %-20s %-8s %-8s %-5s %-14s %-14s %-14s %s%n", "pgid", "job", "name",
                "workers", "profile", "slot", "ipc", "cycles", "instructions", "cpus");
        Map<Integer, String> names = new HashMap<>();
        for (DaemonStatus.Workload w : s.workloads()) {
            names.put(w.pgid(), w.name() + " [" + w.pgid() + "]");
        }
        for (DaemonStatus.Workload w : s.workloads()) {
            DaemonStatus.Ipc ipc = w.ipc();
            out.printf(Locale.ROOT, "%-8d %-8d %-20s %-8d %-8s %-5s %-14s %-14s %-14s %s%n", w.pgid(), w.job(),
                    w.name() == null ? "-" : w.name(), w.workers(), w.profileKnown() ? "known" : "unknown",
                    w.slot() == null ? "-" : w.slot(), ipc(ipc), ipc == null ? "-" : ipc.cycles(),
                    ipc == null ? "-" : ipc.instructions(), cpus(w));
            out.println("         " + details(w, names));
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
                + " %d%s%n", k.events(), k.plans(), k.pins(), k.pinFailures(), k.moves(), k.errors(), byKind(k.errorsByKind()),
                k.changedByOthers(),
                k.profileRuleErrors() == null ? "" : ", process rules that failed " + k.profileRuleErrors());
        out.printf(Locale.ROOT, "observed pairs: %d windows discarded%s, %d samples the store did not take%n",
                k.windowsDiscarded(), byKind(k.windowsDiscardedByKind()), k.observedUnwritten());
        DaemonStatus.Latency l = s.eventToPinMs();
        out.println(l.samples() == 0 || l.median() == null ? "event to pin: no arrivals measured yet"
                : String.format(Locale.ROOT, "event to pin: median %s ms, p99 %s ms, max %s ms (%d arrivals)",
                        number(l.median()), number(l.p99()), number(l.max()), l.samples()));
        out.flush();
    }

    /** What the plan gains: over leaving every running group where it was, and over not pinning at all. */
    private static void printPlan(PrintWriter out, DaemonStatus.Plan p) {
        if (p == null) {
            out.println("plan:     none yet");
            return;
        }
        out.printf(Locale.ROOT, "plan:     %s after %s: score %s, moved %d%n", p.at(), p.why(), number(p.score()),
                p.moved());
        out.printf(Locale.ROOT, "          gain %s over keeping (score %s), %s over no pinning (expected %s);"
                + " optimum %s%n", number(p.gainOverKeeping()), number(p.keptScore()), number(p.gainOverUnpinned()),
                number(p.unpinnedScore()), number(p.optimalScore()));
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

    /**
     * The line under a workload's row: who runs on its core's other CPU and how much each slows it
     * (predicted, and observed here), since when it is pinned, what a restore gives back, the
     * allocation it is kept in.
     */
    private static String details(DaemonStatus.Workload w, Map<Integer, String> names) {
        // A client of an older daemon reads none of these fields.
        String with = w.partner() == null ? "no partner on its core"
                : "beside " + names.getOrDefault(w.partner(), "group " + w.partner()) + slowdowns(w);
        String since = w.pinnedSince() == null ? "not pinned" : "pinned since " + w.pinnedSince();
        String original = w.originalCpus() == null || w.originalCpus().isEmpty() ? ""
                : "; original CPUs " + CoreTable.cpuList(w.originalCpus());
        String allocation = w.allocation() == null ? "" : "; Slurm allocation CPUs " + CoreTable.cpuList(w.allocation());
        return with + "; " + since + original + allocation + (w.command() == null ? "" : "; command: " + w.command());
    }

    /** The errors' kinds that occurred, as " (pin 2, store 1)". */
    private static String byKind(Map<String, Long> counts) {
        // A client of an older daemon reads no such field.
        String kinds = counts == null ? "" : counts.entrySet().stream()
                .filter(e -> e.getValue() > 0).map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        return kinds.isEmpty() ? "" : " (" + kinds + ")";
    }

    /** ": slowdown predicted 0.25, observed 0.3 over 95 s", as far as they are known. */
    private static String slowdowns(DaemonStatus.Workload w) {
        String predicted = w.predictedSlowdown() == null ? "" : "predicted " + number(w.predictedSlowdown());
        String observed = w.observedSlowdown() == null ? "" : "observed " + number(w.observedSlowdown()) + " over "
                + number(w.observedSeconds() == null ? 0 : w.observedSeconds()) + " s";
        if (predicted.isEmpty() && observed.isEmpty()) {
            return "";
        }
        return ": slowdown " + predicted + (predicted.isEmpty() || observed.isEmpty() ? "" : ", ") + observed;
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
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    private static String duration(long seconds) {
        return seconds >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
}
