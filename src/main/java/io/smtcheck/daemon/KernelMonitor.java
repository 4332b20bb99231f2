// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.kernel.IpcMonitorDevice;
import io.smtcheck.kernel.KernelCallException;
import io.smtcheck.kernel.NetlinkChannel;
import io.smtcheck.kernel.RuntimeMonitorDevice;
import io.smtcheck.kernel.SharedTable;
import io.smtcheck.kernel.Uapi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel modules as the daemon's monitor: runtime_monitor reports long-running groups over
 * netlink and IPC_monitor counts them in the shared table. If the modules are unloaded or
 * reloaded underneath, the monitor notices (the data-loader pid no longer names this process) and
 * registers again once they are back.
 */
final class KernelMonitor implements Monitor {
    private static final Logger LOG = LoggerFactory.getLogger(KernelMonitor.class);
    private static final Path DATA_LOADER_PARAM = Path.of("/sys/module/runtime_monitor/parameters/data_loader_pid");
    private static final long CHECK_EVERY_NS = 2_000_000_000L;

    private final int threshold;
    private final int pid = (int) ProcessHandle.current().pid();
    private RuntimeMonitorDevice runtime;
    private IpcMonitorDevice ipc;
    private NetlinkChannel netlink;
    private Map<Integer, SharedTable.Slot> slots = new HashMap<>();
    private long lastCheck;
    private boolean attached;

    private KernelMonitor(int threshold) {
        this.threshold = threshold;
    }

    /** Whether the modules' devices exist. */
    static boolean available() {
        return Files.exists(Path.of(Uapi.RUNTIME_MONITOR_DEVICE)) && Files.exists(Path.of(Uapi.IPC_MONITOR_DEVICE));
    }

    /** Opens both devices, registers this process as the data loader and sets the threshold. */
    static KernelMonitor open(int thresholdSeconds) {
        KernelMonitor m = new KernelMonitor(thresholdSeconds);
        m.attach();
        return m;
    }

    private void attach() {
        try {
            ipc = IpcMonitorDevice.open();
            runtime = RuntimeMonitorDevice.open();
            netlink = NetlinkChannel.openRuntimeMonitor();
            runtime.setThreshold(threshold);
            runtime.setDataLoaderPid(pid);
            attached = true;
        } catch (RuntimeException e) {
            detach();
            throw e;
        }
    }

    private void detach() {
        attached = false;
        if (netlink != null) {
            netlink.close();
        }
        if (runtime != null) {
            runtime.close();
        }
        if (ipc != null) {
            ipc.close();
        }
        netlink = null;
        runtime = null;
        ipc = null;
    }

    @Override
    public synchronized String describe() {
        if (!attached) {
            return "kernel (runtime_monitor + IPC_monitor), modules gone: waiting for them to return";
        }
        return "kernel (runtime_monitor + IPC_monitor, " + ipc.info().mode().name().toLowerCase() + " counters)";
    }

    /** Groups already registered and holding slots: what a restarted daemon adopts. */
    synchronized List<Event> adoptable() {
        List<Event> out = new ArrayList<>();
        if (!attached) {
            return out;
        }
        for (SharedTable.Slot s : ipc.table().activeSlots()) {
            out.add(new Detected(s.pgid(), s.jobId(), s.workers(), 0, ""));
        }
        return out;
    }

    @Override
    public List<Event> poll() {
        checkModules();
        NetlinkChannel channel;
        synchronized (this) {
            channel = netlink;
        }
        if (channel == null) {
            sleepQuietly(250);
            return List.of();
        }
        List<Event> out = new ArrayList<>();
        for (NetlinkChannel.Event e : channel.receive()) {
            if (e instanceof NetlinkChannel.LongRunning l) {
                out.add(new Detected(l.pgid(), l.jobId(), l.workers(), l.runtimeSeconds(), ""));
            } else if (e instanceof NetlinkChannel.Registered r) {
                out.add(new SlotAssigned(r.pgid(), r.slot()));
            } else if (e instanceof NetlinkChannel.Released r) {
                out.add(new Exited(r.pgid()));
            }
        }
        refreshSlots();
        return out;
    }

    /** Notices modules that went away or came back (a reload resets the data-loader pid). */
    private void checkModules() {
        long now = System.nanoTime();
        if (now - lastCheck < CHECK_EVERY_NS) {
            return;
        }
        lastCheck = now;
        synchronized (this) {
            boolean ours;
            try {
                ours = Files.exists(DATA_LOADER_PARAM)
                        && Integer.parseInt(Files.readString(DATA_LOADER_PARAM).trim()) == pid;
            } catch (IOException | NumberFormatException e) {
                ours = false;
            }
            if (attached && !ours) {
                LOG.warn("runtime_monitor no longer reports to this process (modules unloaded or reloaded)");
                detach();
            }
            if (!attached && available()) {
                try {
                    attach();
                    LOG.info("kernel modules are back: registered again as the data loader");
                } catch (KernelCallException | IllegalStateException e) {
                    LOG.warn("kernel modules present but not usable yet: {}", e.getMessage());
                    detach();
                }
            }
        }
    }

    private synchronized void refreshSlots() {
        if (!attached) {
            slots = Map.of();
            return;
        }
        Map<Integer, SharedTable.Slot> fresh = new HashMap<>();
        try {
            for (SharedTable.Slot s : ipc.table().activeSlots()) {
                fresh.put(s.pgid(), s);
            }
        } catch (IllegalStateException e) {
            return; // closed by a concurrent detach
        }
        slots = fresh;
    }

    @Override
    public synchronized void acknowledge(int pgid, int jobId) {
        if (attached) {
            netlink.sendAck(pgid, jobId);
        }
    }

    @Override
    public synchronized Optional<Counters> counters(int pgid) {
        SharedTable.Slot s = slots.get(pgid);
        if (s == null || !attached) {
            return Optional.empty();
        }
        return Optional.of(new Counters(s.cycles(), s.instructions(),
                ipc.info().mode() == IpcMonitorDevice.CounterMode.HARDWARE));
    }

    @Override
    public synchronized void resetCounters() {
        if (!attached) {
            throw new IllegalStateException("the kernel modules are not loaded");
        }
        ipc.resetAll();
        refreshSlots();
    }

    @Override
    public synchronized void close() {
        if (attached) {
            try {
                runtime.setDataLoaderPid(0);
            } catch (KernelCallException e) {
                LOG.debug("unregistering as data loader: {}", e.getMessage());
            }
        }
        detach();
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
