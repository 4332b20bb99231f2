// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.control.ControlClient;
import io.smtcheck.kernel.KernelCallException;
import io.smtcheck.kernel.RuntimeMonitorDevice;
import io.smtcheck.kernel.Uapi;
import io.smtcheck.os.Errno;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.proc.ProcessTable;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import sun.misc.Signal;
import sun.misc.SignalHandler;

@Command(name = "launch",
        description = {"Runs a command as a job the daemon manages: in a process group of its own, registered with"
                + " runtime_monitor when the kernel modules are loaded, otherwise recorded for the daemon's userspace"
                + " monitor; for a user other than root, the daemon registers it over its control socket. Waits for"
                + " it, forwards SIGINT, SIGTERM and SIGHUP to its group, and exits with its exit code (128 + N when"
                + " signal N ended it); a job that cannot be registered runs all the same.",
            "Example: smtcheck launch --job 7 --workers 2 -- ./simulate --steps 1000000"})
final class LaunchCommand implements Callable<Integer> {
    static final String DEFAULT_STATE_DIR = "/run/smtcheck";

    @Option(names = "--job", required = true, paramLabel = "ID", description = "The job's id (its profile's job id).")
    int job;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "1",
            description = "Hardware threads the job occupies. Default: ${DEFAULT-VALUE}.")
    int workers;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = DEFAULT_STATE_DIR,
            description = "Where launched jobs are recorded when the kernel modules are absent. Default: ${DEFAULT-VALUE}.")
    Path stateDir;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = DaemonClientCommand.DEFAULT_SOCKET,
            description = "The daemon's control socket, through which a user other than root registers the job."
                    + " Default: ${DEFAULT-VALUE}.")
    Path socket;

    @Option(names = "--device", paramLabel = "PATH", defaultValue = Uapi.RUNTIME_MONITOR_DEVICE, hidden = true)
    Path device;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (job < 0) {
            throw new IllegalArgumentException("--job must be 0 or more, not " + job);
        }
        if (workers < 1 || workers > Uapi.WORKERS_MAX) {
            throw new IllegalArgumentException("--workers must be 1.." + Uapi.WORKERS_MAX + ", not " + workers);
        }
        PrintWriter err = spec.commandLine().getErr();
        boolean root = runsAsRoot();
        int pgid = GroupLauncher.start(command);
        Map<Signal, SignalHandler> previous = new HashMap<>();
        for (String name : List.of("INT", "TERM", "HUP")) {
            Signal signal = new Signal(name);
            previous.put(signal, Signal.handle(signal, s -> GroupLauncher.signal(pgid, s.getNumber())));
        }
        String runs = "launch: job " + job + " runs as process group " + pgid;
        LaunchRegistry registry = null;
        if (!root) {
            err.println(runs + throughDaemon(pgid));
        } else if (Files.exists(device)) {
            try (RuntimeMonitorDevice dev = RuntimeMonitorDevice.open(device.toString())) {
                dev.addGroup(pgid, job, workers);
                err.println(runs + ", registered with runtime_monitor");
            } catch (KernelCallException e) {
                err.println(runs + " but is NOT managed: " + e.getMessage()
                        + (e.errno() == Errno.EPERM ? " (registering needs root)" : ""));
            }
        } else {
            registry = new LaunchRegistry(stateDir.resolve("launched"));
            try {
                // Our child, not reaped before waitFor: its /proc entry is there even if it has exited.
                long leaderStart = new ProcessTable().startTicks(pgid).orElse(-1);
                registry.add(new LaunchRegistry.Entry(pgid, job, workers, String.join(" ", command),
                        Instant.now().getEpochSecond(), leaderStart));
                err.println(runs + ", recorded in " + registry.directory() + " for the userspace monitor");
            } catch (IOException e) {
                err.println(runs + " but is NOT managed: cannot record it in " + registry.directory() + ": "
                        + Failures.oneLine(e));
                registry = null;
            }
        }
        try {
            return GroupLauncher.waitFor(pgid);
        } finally {
            previous.forEach(Signal::handle);
            if (registry != null) {
                registry.remove(pgid);
            }
        }
    }

    /**
     * Asks the daemon to register the group: it checks over the socket that the group is the
     * caller's own, and registers it with runtime_monitor or its userspace monitor as root can.
     * Returns the rest of the message: where it went, or exactly why it is not managed.
     */
    private String throughDaemon(int pgid) {
        ObjectNode request = JsonOutput.MAPPER.createObjectNode().put("command", "launch").put("pgid", pgid)
                .put("job", job).put("workers", workers);
        try {
            JsonNode answer = ControlClient.request(socket, request);
            if (answer.path("ok").asBoolean()) {
                return ", registered by the daemon: " + answer.path("result").path("registered").asText();
            }
            return " but is NOT managed: the daemon refused: " + answer.path("error").asText("it gave no reason");
        } catch (IOException e) {
            return " but is NOT managed: " + e.getMessage();
        }
    }

    private static boolean runsAsRoot() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    }
}
