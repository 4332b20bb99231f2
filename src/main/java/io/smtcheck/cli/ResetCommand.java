// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "reset",
        description = {"Resets the IPC counters, restores the original CPU affinity of the managed groups, or both"
                + " (the default). Needs root.",
            "Restored groups stay unpinned until the daemon plans again: on the next workload that arrives or leaves."})
final class ResetCommand extends DaemonClientCommand {
    @Option(names = "--counters", description = "Zero the IPC counters (and the event-to-pin latency samples).")
    boolean counters;

    @Option(names = "--affinity", description = "Restore each managed group's original affinity.")
    boolean affinity;

    @Override
    ObjectNode request() {
        boolean both = !counters && !affinity;
        return command("reset").put("counters", counters || both).put("affinity", affinity || both);
    }

    @Override
    void print(PrintWriter out, JsonNode result) {
        if (result.path("counters").asBoolean()) {
            out.println("counters reset");
        }
        if (result.has("restoredGroups")) {
            out.println("affinity restored for " + result.get("restoredGroups").asInt() + " groups");
        }
    }
}
