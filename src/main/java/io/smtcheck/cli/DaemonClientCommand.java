// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.control.ControlClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What every command that talks to the running daemon shares: the socket, --json, and the exit codes. */
abstract class DaemonClientCommand implements Callable<Integer> {
    static final String DEFAULT_SOCKET = "/run/smtcheck/control.sock";

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = DEFAULT_SOCKET,
            description = "The daemon's control socket. Default: ${DEFAULT-VALUE}.")
    Path socket;

    @Mixin
    JsonOption json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The request to send. */
    abstract ObjectNode request();

    /** Prints a successful result for people. */
    abstract void print(PrintWriter out, JsonNode result) throws JsonProcessingException;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        JsonNode result = ask();
        if (json.json) {
            out.println(JsonOutput.MAPPER.writeValueAsString(result));
        } else {
            print(out, result);
        }
        return ExitCodes.OK;
    }

    /** Sends the request; the answer's result, or the daemon's refusal as an exception. */
    JsonNode ask() throws IOException {
        // Not running (exit 4) and not allowed (exit 5) are failures like any other: Failures words them.
        JsonNode answer = ControlClient.request(socket, request());
        if (!answer.path("ok").asBoolean()) {
            throw new RefusedException(answer.path("error").asText("the daemon gave no reason"));
        }
        return answer.get("result");
    }

    static ObjectNode command(String name) {
        return JsonOutput.MAPPER.createObjectNode().put("command", name);
    }
}
