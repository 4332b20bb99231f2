// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.control.ControlServer;
import io.smtcheck.model.ModelLoader;
import io.smtcheck.os.Errno;
import io.smtcheck.os.SystemCallException;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.profiles.BundledData;
import io.smtcheck.profiles.OriginalProfileData;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.ProfilingServerClient;
import io.smtcheck.profiles.StoreSettings;
import io.smtcheck.profiling.InSituProfiler;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Everything a running daemon owns, opened in order and closed once in the reverse order: the
 * profile store, the model, the monitor, the daemon loop and its control socket.
 */
public final class DaemonRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonRuntime.class);

    private final ProfileSource profiles;
    private final Monitor monitor;
    private final Daemon daemon;
    private final ControlServer control;
    private final StateDirLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SystemdNotifier systemd = SystemdNotifier.fromEnvironment();

    private DaemonRuntime(ProfileSource profiles, Monitor monitor, Daemon daemon, ControlServer control,
            StateDirLock lock) {
        this.lock = lock;
        this.profiles = profiles;
        this.monitor = monitor;
        this.daemon = daemon;
        this.control = control;
    }

    /**
     * Opens the store (the embedded server when {@code mongoUri} is null; filled with the shipped
     * synthetic sample profiles when empty and {@code sampleProfiles} is set), loads the newest model
     * ({@code modelDir} or the shipped one), picks the monitor and binds the control socket. The
     * state directory is locked first, before anything another daemon might be using is touched.
     *
     * @throws StateDirInUseException when another daemon runs with the same state directory
     */
    public static DaemonRuntime start(DaemonOptions options, Topology topology, String mongoUri, Path dataDir,
            Path modelDir, boolean sampleProfiles) throws IOException {
        return start(options, topology, mongoUri, OriginalProfileData.Options.NONE, null, dataDir, modelDir, sampleProfiles,
                InSituProfiler.Settings.DEFAULTS);
    }

    /**
     * The same, reading the original SMTcheck's store as {@code original} says when {@code mongoUri}
     * names it, sending profiling requests to {@code profilingServer} (its profiling server) when
     * that is not null, and running in-situ profiles' windows as {@code inSitu} says.
     */
    public static DaemonRuntime start(DaemonOptions options, Topology topology, String mongoUri,
            OriginalProfileData.Options original, ProfilingServerClient.Address profilingServer, Path dataDir,
            Path modelDir, boolean sampleProfiles, InSituProfiler.Settings inSitu) throws IOException {
        StateDirLock lock = StateDirLock.acquire(options.stateDir());
        ProfileStore store = null;
        try {
            store = mongoUri != null ? ProfileStore.connect(mongoUri, StoreSettings.DEFAULT, original)
                    : ProfileStore.embedded(dataDir);
            // Before the profile source loads its cache, so that it starts with the samples.
            if (sampleProfiles) {
                store.importIfEmpty(BundledData.sampleDataset()).ifPresent(r -> LOG.warn(
                        "empty profile store: imported the shipped SYNTHETIC sample profiles; their process rules"
                                + " match programs such as sort and gzip"));
            }
        } catch (IOException | RuntimeException e) {
            if (store != null) {
                store.close();
            }
            lock.close();
            throw e;
        }
        ProfileSource profiles = new StoreProfileSource(store, profilingServer);
        Monitor monitor = null;
        try {
            ModelLoader models = new ModelLoader(modelDir != null ? modelDir : BundledData.modelDirectory());
            ModelLoader.Result loaded = models.reload();
            loaded.problems().forEach(p -> LOG.warn("model: {}", p));
            if (loaded.current().isEmpty()) {
                throw new IllegalArgumentException("no valid prediction model in " + models.directory());
            }
            monitor = chooseMonitor(options, profiles);
            Daemon daemon = new Daemon(options, monitor, profiles, models, new Replanner(topology, options.minGain()),
                    inSitu);
            ControlServer control = ControlServer.start(options.socket(), options.socketGroup(), daemon.controlCommands());
            LOG.info("control socket: {}", options.socket());
            return new DaemonRuntime(profiles, monitor, daemon, control, lock);
        } catch (IOException | RuntimeException e) {
            if (monitor != null) {
                monitor.close();
            }
            profiles.close();
            lock.close();
            throw e;
        }
    }

    private static Monitor chooseMonitor(DaemonOptions options, ProfileSource profiles) {
        return chooseMonitor(options, profiles, !options.forceUserspace() && KernelMonitor.available(),
                () -> KernelMonitor.open(options.threshold()));
    }

    /**
     * The kernel monitor when the modules' devices exist ({@code devicesPresent}), else the userspace
     * one. Devices that answer our commands with ENOTTY belong to other modules of the same names
     * (the original SMTcheck's): the userspace monitor needs none, so the daemon uses it and says why.
     */
    static Monitor chooseMonitor(DaemonOptions options, ProfileSource profiles, boolean devicesPresent,
            Supplier<Monitor> kernel) {
        if (devicesPresent) {
            try {
                return kernel.get();
            } catch (SystemCallException e) {
                if (e.errno() != Errno.ENOTTY) {
                    throw e;
                }
                LOG.warn("the kernel modules do not know smtcheck's commands ({}): other modules of those names,"
                        + " such as the original SMTcheck's, are loaded; using the userspace monitor",
                        e.getMessage());
            }
        } else if (!options.forceUserspace()) {
            LOG.info("kernel modules not loaded (no /dev/runtime_monitor): using the userspace monitor");
        }
        return new UserspaceMonitor(new ProcessTable(), new LaunchRegistry(options.stateDir().resolve("launched")),
                profiles, options.threshold(), options.interval());
    }

    public Daemon daemon() {
        return daemon;
    }

    /**
     * Runs the daemon loop in this thread until {@link #close()}. systemd hears READY=1 first: the
     * control socket is listening by then, so `smtcheck status` works as soon as the start returns.
     */
    public void run() {
        systemd.send("READY=1\nSTATUS=serving on " + control.path());
        daemon.run();
    }

    /**
     * Reloads, telling systemd (RELOADING=1, then READY=1 once done): the configuration through
     * {@code configuration}, which returns what status shows (a configuration that fails to read
     * is logged and the running one kept), then the model directory.
     */
    public synchronized void reload(Callable<DaemonStatus.Configuration> configuration) {
        if (closed.get()) {
            return;
        }
        systemd.send("RELOADING=1\nMONOTONIC_USEC=" + monotonicMicros());
        LOG.info("reloading");
        try {
            daemon.showConfiguration(configuration.call());
        } catch (Exception e) {
            LOG.error("reload: {}; the running configuration stays", e.getMessage());
        }
        try {
            daemon.reload();
        } catch (RuntimeException e) {
            LOG.error("reload: {}", e.getMessage());
        }
        systemd.send("READY=1\nSTATUS=serving on " + control.path());
    }

    /**
     * Reloads on SIGHUP (systemctl reload), which would otherwise end the process. A daemon started
     * with SIGHUP ignored (under nohup, say) cannot take it: the JVM then leaves it ignored, so it
     * says that reloading takes a restart rather than ignore the signal without a word.
     */
    public void reloadOnHangup(Callable<DaemonStatus.Configuration> configuration) {
        SignalHandler before = Signal.handle(new Signal("HUP"), s -> reload(configuration));
        if (before == SignalHandler.SIG_IGN) {
            LOG.warn("SIGHUP was ignored when the daemon started (by nohup or its parent): it stays ignored, so a"
                    + " change of the configuration file or the model directory takes a restart");
        }
    }

    /** CLOCK_MONOTONIC in microseconds: the JVM's nanoTime is that clock on Linux. */
    private static long monotonicMicros() {
        return System.nanoTime() / 1000;
    }

    /** Stops the loop (restoring affinity), then closes the socket, the monitor and the store, and unlocks. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        systemd.send("STOPPING=1");
        daemon.stop();
        control.close();
        monitor.close();
        profiles.close();
        lock.close();
        LOG.info("stopped");
    }
}
