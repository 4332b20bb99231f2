// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.daemon.DaemonStatus;
import io.smtcheck.daemon.StatusText;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status",
        description = {"Shows what the running daemon manages: monitor, model, store, the last plan and what it gains,"
                + " workloads (each with its partner, since when it is pinned, its original CPUs and command), cores,"
                + " counters.",
                "An installed `smtcheck` answers `status` with a small native client when it can (no JVM), with"
                + " the same output."})
final class StatusCommand extends DaemonClientCommand {
    static final double MAX_WATCH_SECONDS = 3600;
    /** With --watch --json each status is one line, so that a script reads them as JSON Lines. */
    private static final ObjectWriter ONE_LINE = JsonOutput.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--watch", paramLabel = "SECONDS", arity = "0..1", fallbackValue = "2",
            description = "Show it again every SECONDS (2 when not given) until interrupted. On a terminal the"
                    + " screen is redrawn, like top; otherwise each one is appended, with --json as one line each.")
    Double watch;

    @Override
    ObjectNode request() {
        return command("status");
    }

    @Override
    public Integer call() throws Exception {
        if (watch == null) {
            return super.call();
        }
        if (!(watch > 0) || watch > MAX_WATCH_SECONDS) {
            throw new OptionValueException("--watch: a refresh every " + watch + " s is out of range (more than 0, at"
                    + " most " + (int) MAX_WATCH_SECONDS + ")");
        }
        PrintWriter out = spec.commandLine().getOut();
        boolean redraw = System.console() != null && !json.json;
        while (true) {
            JsonNode result = ask();
            if (redraw) {
                out.print("\033[H\033[2J"); // cursor home, clear the screen
            }
            if (json.json) {
                out.println(ONE_LINE.writeValueAsString(result));
            } else {
                print(out, result);
                if (!redraw) {
                    out.println();
                }
            }
            out.flush();
            Thread.sleep((long) (watch * 1000));
        }
    }

    /** Every field of the status, for people (docs/status.md describes each). */
    @Override
    void print(PrintWriter out, JsonNode result) throws JsonProcessingException {
        StatusText.print(out, JsonOutput.MAPPER.treeToValue(result, DaemonStatus.class));
    }
}
