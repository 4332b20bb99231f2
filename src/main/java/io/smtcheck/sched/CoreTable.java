// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The table of cores that `plan` and `status` print: each core's CPUs, who shares it, and its score. */
public final class CoreTable {
    /** One core. */
    public record Row(int core, List<Integer> cpus, List<String> workloads, double score) {
    }

    private CoreTable() {
    }

    public static void print(PrintWriter out, List<Row> rows) {
        out.printf(Locale.ROOT, "%-5s %-10s %-40s %8s%n", "core", "cpus", "workloads", "score");
        for (Row r : rows) {
            String workloads = r.workloads().isEmpty() ? "-" : String.join(" + ", r.workloads());
            out.printf(Locale.ROOT, "%-5d %-10s %-40s %8.4f%n", r.core(), cpuList(r.cpus()), workloads, r.score());
        }
    }

    /** CPUs as a comma-separated list. */
    public static String cpuList(List<Integer> cpus) {
        StringBuilder s = new StringBuilder();
        for (int cpu : cpus) {
            s.append(s.length() == 0 ? "" : ",").append(cpu);
        }
        return s.toString();
    }
}
