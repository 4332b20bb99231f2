// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import ch.qos.logback.classic.Level;
import io.smtcheck.daemon.AffinityPolicy;
import io.smtcheck.daemon.DaemonOptions;
import io.smtcheck.daemon.DaemonRuntime;
import io.smtcheck.daemon.DaemonStatus;
import io.smtcheck.metrics.MetricsServer;
import io.smtcheck.profiling.InSituProfiler;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.ProfilingServerClient;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

@Command(name = "run",
        description = {"Runs the daemon: places long-running process groups on SMT siblings and pins them.",
            "Every option can also be set in the configuration file (--config, else $" + ConfigFile.ENV + ", else "
                + ConfigFile.DEFAULT_PATH + ") as name=value, for example threshold=600 or dry-run=true;"
                + " the command line wins.",
            "SIGTERM stops it cleanly and, unless --no-restore, puts back every pinned group's original affinity."
                + " SIGHUP re-reads the configuration file and the model directory."})
final class RunCommand implements Callable<Integer> {
    /** What SIGHUP applies from the configuration file; every other setting takes a restart. */
    static final Set<String> RELOADABLE = Set.of("verbose");

    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

    @Option(names = ConfigFile.OPTION, paramLabel = "FILE",
            description = "The configuration file; it must exist. Default: $" + ConfigFile.ENV + ", else "
                    + ConfigFile.DEFAULT_PATH + " when it exists.")
    Path config;

    @Option(names = "--threshold", paramLabel = "SECONDS", defaultValue = "3600",
            description = "How long a group must run before it is placed. Default: ${DEFAULT-VALUE}.")
    int threshold;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1",
            description = "How often counters are read and /proc is scanned. Default: ${DEFAULT-VALUE}.")
    double interval;

    @Mixin
    StoreOptions store;

    @Option(names = "--profiling-server", paramLabel = "HOST:PORT",
            description = "Send profiling requests to the original SMTcheck's profiling server, whose results the daemon"
                    + " reads from that system's store (--mongo-uri with database profile_data). Default: file them in the store.")
    String profilingServer;

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "Where prediction_model_<TIMESTAMP>.json files are (the newest wins). Default: the model shipped in the jar.")
    Path modelDir;

    @Mixin
    TopologyOption topology;

    @Option(names = "--dry-run", description = "Plan and log; pin nothing.")
    boolean dryRun;

    @Option(names = "--min-gain", paramLabel = "FRACTION", defaultValue = "0.02",
            description = "Move a running thread only when that gains more than this fraction of the mean score of"
                    + " an occupied core. Default: ${DEFAULT-VALUE}.")
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

    @Option(names = "--include", paramLabel = "RULE", split = ",",
            description = "Manage only groups whose leader matches one of these rules: uid=N, cgroup=GLOB (the"
                    + " cgroup path, e.g. /user.slice/*) or comm=GLOB (the command name). Default: every group.")
    List<String> include = new ArrayList<>();

    @Option(names = "--exclude", paramLabel = "RULE", split = ",",
            description = "Never pin groups whose leader matches one of these rules (same form as --include); an"
                    + " exclude wins over an include.")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--narrowed", paramLabel = "skip|manage", defaultValue = "skip",
            description = "Groups whose affinity someone else narrowed (when they arrive, or later by changing the"
                    + " daemon's pin): skip leaves them alone, manage pins them all the same and puts a changed pin"
                    + " back. Default: ${DEFAULT-VALUE}.")
    String narrowed;

    @Option(names = "--in-situ-warmup", paramLabel = "SECONDS", defaultValue = "2",
            description = "In-situ profiles: how long each setting runs before its window is measured (caches refill,"
                    + " the injector ramps up), 0 to 3600. Default: ${DEFAULT-VALUE}.")
    double inSituWarmup;

    @Option(names = "--in-situ-window", paramLabel = "SECONDS", defaultValue = "10",
            description = "In-situ profiles: how long each window is measured, more than 0 and at most 3600."
                    + " Default: ${DEFAULT-VALUE}.")
    double inSituWindow;

    @Option(names = "--in-situ-levels", paramLabel = "L,...", split = ",", defaultValue = "0.25,0.5,1",
            description = "In-situ profiles: the injectors' intensity levels, ascending in (0, 1], the last 1."
                    + " Default: ${DEFAULT-VALUE}.")
    List<Double> inSituLevels;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Serve OpenMetrics for Prometheus at http://ADDR:PORT/metrics (docs/metrics.md)."
                    + " Default: no endpoint.")
    Integer metricsPort;

    @Option(names = "--metrics-address", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "The address the metrics endpoint listens on; another than loopback lets other machines"
                    + " scrape it. Default: ${DEFAULT-VALUE}.")
    String metricsAddress;

    @Mixin
    VerboseOption verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Each setting's value in effect and where it came from; a changed setting that waits for a restart. */
    private record Effective(Object value, String origin, Object pending, String pendingOrigin) {
    }

    private final Map<OptionSpec, Effective> effective = new LinkedHashMap<>();
    private InSituProfiler.Settings inSitu;

    @Override
    public Integer call() throws Exception {
        logDebug(verbose.verbose);
        Topology topo = validated();
        for (OptionSpec o : settable()) {
            effective.put(o, new Effective(o.getValue(), origin(o, configFile()), null, null));
        }
        LOG.info("configuration: {}", summary());
        DaemonOptions options = new DaemonOptions(threshold, Duration.ofMillis((long) (interval * 1000)), dryRun,
                minGain, !noRestore, socket, socketGroup, stateDir, userspace,
                AffinityPolicy.parse(include, exclude, narrowed));
        ProfilingServerClient.Address server = profilingServer();
        try (MetricsServer metrics = metricsServer();
                DaemonRuntime runtime = DaemonRuntime.start(options, topo, store.mongoUri, store.original(),
                        server, store.dataDir(), modelDir, sampleProfiles, inSitu)) {
            if (metrics != null) {
                metrics.serve(runtime.daemon());
                LOG.info("metrics: {}", metricsUrl(metrics.port()));
            }
            runtime.daemon().showConfiguration(describe());
            runtime.reloadOnHangup(this::reread);
            Runtime.getRuntime().addShutdownHook(new Thread(runtime::close, "smtcheck-stop"));
            runtime.run();
        }
        return ExitCodes.OK;
    }

    /**
     * Checks the values picocli cannot (ranges, the topology), naming where a bad one came from; returns
     * the topology. A value out of range is a command-line error wherever it was given (exit 2), as a
     * value of the wrong type is.
     */
    private Topology validated() {
        if (threshold < 1) {
            throw usage(where("threshold") + " must be at least 1 second, not " + threshold);
        }
        if (!(interval >= 0.05 && interval <= 3600)) {
            throw usage(where("interval") + " must be between 0.05 and 3600 seconds, not " + interval);
        }
        if (!(minGain >= 0) || Double.isInfinite(minGain)) {
            throw usage(where("min-gain") + " must be 0 or more, not " + minGain);
        }
        if (metricsPort != null) {
            if (metricsPort < 1 || metricsPort > 65535) {
                throw usage(where("metrics-port") + " must be between 1 and 65535, not " + metricsPort);
            }
            metricsAddress();
        }
        inSitu = inSituSettings();
        try {
            return topology.topology();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where("topology") + ": " + e.getMessage(), e);
        }
    }

    /**
     * The in-situ schedule. Each option is checked with the others at their defaults, so that the
     * error names the one that is wrong; the settings' own message (after its field's name) says why.
     */
    InSituProfiler.Settings inSituSettings() {
        InSituProfiler.Settings d = InSituProfiler.Settings.DEFAULTS;
        inSituOption("in-situ-warmup", () -> new InSituProfiler.Settings(inSituWarmup, d.windowSeconds(), d.levels(),
                d.maxSpread(), d.attempts()));
        inSituOption("in-situ-window", () -> new InSituProfiler.Settings(d.warmupSeconds(), inSituWindow, d.levels(),
                d.maxSpread(), d.attempts()));
        inSituOption("in-situ-levels", () -> new InSituProfiler.Settings(d.warmupSeconds(), d.windowSeconds(),
                inSituLevels, d.maxSpread(), d.attempts()));
        return new InSituProfiler.Settings(inSituWarmup, inSituWindow, inSituLevels, d.maxSpread(), d.attempts());
    }

    private void inSituOption(String name, Supplier<InSituProfiler.Settings> settings) {
        try {
            settings.get();
        } catch (IllegalArgumentException e) {
            String why = e.getMessage();
            throw usage(where(name) + ": " + why.substring(why.indexOf(": ") + 1).strip());
        }
    }

    /**
     * Binds the metrics endpoint, before anything else starts; null without --metrics-port. A port
     * in use refuses the command (exit 5) in one line.
     */
    private MetricsServer metricsServer() throws IOException {
        if (metricsPort == null) {
            return null;
        }
        InetAddress address = metricsAddress();
        try {
            return MetricsServer.start(address, metricsPort);
        } catch (BindException e) {
            throw new RefusedException(where("metrics-port") + ": cannot listen on " + metricsAddress + ":"
                    + metricsPort + ": " + e.getMessage());
        }
    }

    /**
     * --metrics-address as an IP address. A host name is refused, so that starting never waits for
     * a name lookup: only a dotted quad or an IPv6 literal (which InetAddress parses without one) is tried.
     */
    private InetAddress metricsAddress() {
        if (metricsAddress.matches("((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)")
                || metricsAddress.contains(":")) {
            try {
                return InetAddress.getByName(metricsAddress);
            } catch (UnknownHostException e) {
                // a malformed IPv6 literal: refused below
            }
        }
        throw usage(where("metrics-address") + " must be an IP address such as 127.0.0.1 or ::1, not "
                + metricsAddress);
    }

    /** Where the endpoint answers, for the log: an IPv6 address in brackets. */
    private String metricsUrl(int port) {
        String host = metricsAddress.contains(":") ? "[" + metricsAddress + "]" : metricsAddress;
        return "http://" + host + ":" + port + "/metrics";
    }

    private static OptionValueException usage(String message) {
        return new OptionValueException(message);
    }

    /**
     * Reads the configuration file again, as the command line was read at start: settings given on
     * the command line stay; {@link #RELOADABLE} ones take their new value; any other change is
     * logged and shown as waiting for a restart. A file that no longer reads keeps everything as it
     * was. Returns the configuration to show in status.
     */
    private synchronized DaemonStatus.Configuration reread() {
        ConfigFile fresh = configFile().again();
        RunCommand reread = new RunCommand();
        CommandLine trial = new CommandLine(reread);
        trial.setDefaultValueProvider(fresh);
        try {
            trial.parseArgs();
            reread.validated();
        } catch (CommandLine.ParameterException e) {
            String why = fresh.explain(e);
            throw new IllegalArgumentException(why != null ? why : e.getMessage(), e);
        } catch (OptionValueException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        for (OptionSpec o : settable()) {
            if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                continue;
            }
            Effective now = effective.get(o);
            Object value = trial.getCommandSpec().findOption(o.longestName()).getValue();
            String origin = origin(o, fresh);
            String name = ConfigFile.name(o);
            if (Objects.equals(value, now.value())) {
                effective.put(o, new Effective(value, origin, null, null));
            } else if (RELOADABLE.contains(name)) {
                o.setValue(value);
                effective.put(o, new Effective(value, origin, null, null));
                LOG.info("configuration: {} is now {} ({})", name, value, origin);
            } else {
                effective.put(o, new Effective(now.value(), now.origin(), value, origin));
                LOG.warn("configuration: {} changed to {} ({}): takes effect at restart", name, value, origin);
            }
        }
        logDebug(verbose.verbose);
        return describe();
    }

    /** Where a setting's value comes from: the command line, a line of the file, or the default. */
    private String origin(OptionSpec o, ConfigFile file) {
        if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
            return "command line";
        }
        return file.setting(o).map(ConfigFile.Setting::origin).orElse("default");
    }

    /** How to name a setting in an error: its file and line when it came from the file. */
    private String where(String name) {
        OptionSpec o = spec.findOption("--" + name);
        if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
            return "--" + name;
        }
        return configFile().setting(o).map(s -> s.origin() + ": " + name).orElse("--" + name);
    }

    private ConfigFile configFile() {
        return (ConfigFile) spec.defaultValueProvider();
    }

    /** --profiling-server, which only a daemon reading the original SMTcheck's store takes. */
    private ProfilingServerClient.Address profilingServer() {
        if (profilingServer == null) {
            return null;
        }
        if (store.mongoUri == null || !ProfileStore.isOriginal(store.mongoUri)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--profiling-server needs the original"
                    + " SMTcheck's store, which its profiling server fills: a --mongo-uri whose database is profile_data");
        }
        try {
            return ProfilingServerClient.Address.parse(profilingServer);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--profiling-server: " + e.getMessage());
        }
    }

    private List<OptionSpec> settable() {
        return spec.options().stream().filter(ConfigFile::settable).toList();
    }

    private String summary() {
        StringBuilder s = new StringBuilder(configFile().file(spec).map(Path::toString).orElse("no file"));
        effective.forEach((o, e) -> s.append(s.length() == 0 ? "" : ", ").append(ConfigFile.name(o)).append('=')
                .append(e.value()).append(" (").append(e.origin()).append(')'));
        return s.toString();
    }

    /** The configuration for status: the file, which settings a reload applies, and every setting. */
    private DaemonStatus.Configuration describe() {
        Map<String, DaemonStatus.Setting> settings = new LinkedHashMap<>();
        effective.forEach((o, e) -> settings.put(ConfigFile.name(o), new DaemonStatus.Setting(text(e.value()),
                e.origin(), e.pendingOrigin() == null ? null
                        : new DaemonStatus.Pending(text(e.pending()), e.pendingOrigin()))));
        return new DaemonStatus.Configuration(configFile().file(spec).map(Path::toString).orElse(null),
                RELOADABLE.stream().sorted().toList(), settings);
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private static void logDebug(boolean debug) {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
                .setLevel(debug ? Level.DEBUG : Level.INFO);
    }

}
