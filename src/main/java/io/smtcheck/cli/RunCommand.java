// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import ch.qos.logback.classic.Level;
import io.smtcheck.daemon.DaemonOptions;
import io.smtcheck.daemon.DaemonRuntime;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.sched.Topology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs the daemon: places long-running process groups on SMT siblings and pins them.",
            "Every option can also be set in " + RunCommand.CONFIG_FILE + " (or the file named by $"
                + RunCommand.CONFIG_ENV + ") as name=value, for example threshold=600 or dry-run=true;"
                + " the command line wins.",
            "SIGTERM stops it cleanly and, unless --no-restore, puts back every pinned group's original affinity."})
final class RunCommand implements Callable<Integer> {
    static final String CONFIG_FILE = "/etc/smtcheck/smtcheck.conf";
    static final String CONFIG_ENV = "SMTCHECK_CONFIG";

    @Option(names = "--threshold", paramLabel = "SECONDS", defaultValue = "3600",
            description = "How long a group must run before it is placed. Default: ${DEFAULT-VALUE}.")
    int threshold;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1",
            description = "How often counters are read and /proc is scanned. Default: ${DEFAULT-VALUE}.")
    double interval;

    @Option(names = "--mongo-uri", paramLabel = "URI",
            description = "A MongoDB server for profiles. Default: an embedded server with its data in --data-dir.")
    String mongoUri;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "The embedded store's data. Default: " + ProfileStore.DEFAULT_DATA_DIR_HELP + ".")
    Path dataDir;

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "Where prediction_model_<TIMESTAMP>.json files are (the newest wins). Default: the model shipped in the jar.")
    Path modelDir;

    @Option(names = "--topology", paramLabel = "SPEC",
            description = "Cores separated by ';', siblings by ',' (e.g. \"0,4;1,5\"). Default: this machine's.")
    String topology;

    @Option(names = "--dry-run", description = "Plan and log; pin nothing.")
    boolean dryRun;

    @Option(names = "--min-gain", paramLabel = "FRACTION", defaultValue = "0.02",
            description = "Move running workloads only when the optimum beats keeping them by more than this fraction"
                    + " of the total score. Default: ${DEFAULT-VALUE}.")
    double minGain;

    @Option(names = "--no-restore", description = "On stop, leave groups pinned instead of restoring their affinity.")
    boolean noRestore;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = DaemonClientCommand.DEFAULT_SOCKET,
            description = "The control socket. Default: ${DEFAULT-VALUE}.")
    Path socket;

    @Option(names = "--socket-group", paramLabel = "GROUP",
            description = "The group that may read status over the socket (mode 0660). Default: the daemon's own.")
    String socketGroup;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = LaunchCommand.DEFAULT_STATE_DIR,
            description = "Where `smtcheck launch` records groups when the kernel modules are absent. Default: ${DEFAULT-VALUE}.")
    Path stateDir;

    @Option(names = "--sample-profiles",
            description = "Fill an empty profile store with the shipped synthetic sample profiles, to try the daemon"
                    + " out. Their process rules match common programs (sort, gzip, nginx, ...): not for production.")
    boolean sampleProfiles;

    @Option(names = "--userspace", description = "Use the /proc monitor even when the kernel modules are loaded.")
    boolean userspace;

    @Option(names = {"-v", "--verbose"}, description = "Log debug messages.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (verbose) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.DEBUG);
        }
        if (threshold < 1) {
            throw new IllegalArgumentException("--threshold must be at least 1 second, not " + threshold);
        }
        if (!(interval >= 0.05 && interval <= 3600)) {
            throw new IllegalArgumentException("--interval must be between 0.05 and 3600 seconds, not " + interval);
        }
        Topology topo = topology == null ? Topology.ofThisMachine() : Topology.parse(topology);
        DaemonOptions options = new DaemonOptions(threshold, Duration.ofMillis((long) (interval * 1000)), dryRun,
                minGain, !noRestore, socket, socketGroup, stateDir, userspace);
        try (DaemonRuntime runtime = DaemonRuntime.start(options, topo, mongoUri,
                dataDir != null ? dataDir : ProfileStore.defaultDataDir(), modelDir, sampleProfiles)) {
            Runtime.getRuntime().addShutdownHook(new Thread(runtime::close, "smtcheck-stop"));
            runtime.run();
        }
        return ExitCodes.OK;
    }

}
