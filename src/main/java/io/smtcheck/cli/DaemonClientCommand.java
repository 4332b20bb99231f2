// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.control.ControlClient;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** What every command that talks to the running daemon shares: the socket, --json, and the exit codes. */
abstract class DaemonClientCommand implements Callable<Integer> {
    static final String DEFAULT_SOCKET = "/run/smtcheck/control.sock";
    static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = DEFAULT_SOCKET,
            description = "The daemon's control socket. Default: ${DEFAULT-VALUE}.")
    Path socket;

    @Option(names = "--json", description = "Print the daemon's answer as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The request to send. */
    abstract ObjectNode request();

    /** Prints a successful result for people. */
    abstract void print(PrintWriter out, JsonNode result) throws JsonProcessingException;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        JsonNode answer;
        try {
            answer = ControlClient.request(socket, request());
        } catch (ControlClient.NotRunningException e) {
            err.println(spec.name() + ": " + e.getMessage());
            return ExitCodes.NOT_RUNNING;
        } catch (ControlClient.PermissionDeniedException e) {
            err.println(spec.name() + ": " + e.getMessage());
            return ExitCodes.REFUSED;
        }
        if (!answer.path("ok").asBoolean()) {
            err.println(spec.name() + ": " + answer.path("error").asText("the daemon gave no reason"));
            return ExitCodes.REFUSED;
        }
        if (json) {
            out.println(JSON.writeValueAsString(answer.get("result")));
        } else {
            print(out, answer.get("result"));
        }
        return ExitCodes.OK;
    }

    static ObjectNode command(String name) {
        return JSON.createObjectNode().put("command", name);
    }
}
