// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.kernel.IpcMonitorDevice;
import io.smtcheck.kernel.KernelCallException;
import io.smtcheck.kernel.NetlinkChannel;
import io.smtcheck.kernel.RuntimeMonitorDevice;
import io.smtcheck.kernel.SharedTable;
import io.smtcheck.kernel.Uapi;
import io.smtcheck.os.Errno;
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
 * netlink and IPC_monitor counts them in the shared table. The daemon's netlink socket registers
 * itself as the data loader; closing it ends the registration. If the modules are unloaded or
 * reloaded underneath, the monitor notices (runtime_monitor's registered pid no longer names this
 * process) and registers again once they are back, registering the groups it knew with the new
 * runtime_monitor so that they are reported, acknowledged and counted again.
 * /dev/runtime_monitor is opened only for each call and the netlink socket does not pin the
 * module, so runtime_monitor can be unloaded under the running daemon.
 */
final class KernelMonitor implements Monitor {
    private static final Logger LOG = LoggerFactory.getLogger(KernelMonitor.class);
    private static final Path REGISTERED_PARAM = Path.of("/sys/module/runtime_monitor/parameters/registered_pid");
    private static final long CHECK_EVERY_NS = 2_000_000_000L;

    private final int threshold;
    private final int pid = (int) ProcessHandle.current().pid();
    private IpcMonitorDevice ipc;
    private NetlinkChannel netlink;
    private Map<Integer, SharedTable.Slot> slots = new HashMap<>();
    /** The groups reported to this process and not yet gone: pgid to {job id, workers}. */
    private final Map<Integer, int[]> known = new HashMap<>();
    private long lastCheck;
    private boolean attached;

    private KernelMonitor(int threshold) {
        this.threshold = threshold;
    }

    /** Whether the modules' devices exist. */
    static boolean available() {
        return Files.exists(Path.of(Uapi.RUNTIME_MONITOR_DEVICE)) && Files.exists(Path.of(Uapi.IPC_MONITOR_DEVICE));
    }

    /** Opens both devices, sets the threshold and registers this process as the data loader. */
    static KernelMonitor open(int thresholdSeconds) {
        KernelMonitor m = new KernelMonitor(thresholdSeconds);
        m.attach();
        return m;
    }

    private void attach() {
        try {
            ipc = IpcMonitorDevice.open();
            netlink = NetlinkChannel.openRuntimeMonitor();
            try (RuntimeMonitorDevice runtime = RuntimeMonitorDevice.open()) {
                runtime.setThreshold(threshold);
            }
            netlink.register();
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
        if (ipc != null) {
            ipc.close();
        }
        netlink = null;
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
    @Override
    public synchronized List<Event> adoptable() {
        List<Event> out = new ArrayList<>();
        if (!attached) {
            return out;
        }
        for (SharedTable.Slot s : ipc.table().activeSlots()) {
            known.put(s.pgid(), new int[] {s.jobId(), s.workers()});
            out.add(new Detected(s.pgid(), s.jobId(), s.workers(), 0, ""));
            out.add(new SlotAssigned(s.pgid(), s.index()));
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
        List<NetlinkChannel.Event> received;
        try {
            received = channel.receive();
        } catch (KernelCallException e) {
            LOG.debug("netlink: {}", e.getMessage());
            sleepQuietly(250);
            return List.of();
        }
        synchronized (this) {
            for (NetlinkChannel.Event e : received) {
                if (e instanceof NetlinkChannel.LongRunning l) {
                    known.put(l.pgid(), new int[] {l.jobId(), l.workers()});
                    out.add(new Detected(l.pgid(), l.jobId(), l.workers(), l.runtimeSeconds(), ""));
                } else if (e instanceof NetlinkChannel.Registered r) {
                    out.add(new SlotAssigned(r.pgid(), r.slot()));
                } else if (e instanceof NetlinkChannel.Released r) {
                    known.remove(r.pgid());
                    out.add(new Exited(r.pgid()));
                }
            }
        }
        refreshSlots();
        return out;
    }

    /** Notices modules that went away or came back (a reload forgets the registration). */
    private void checkModules() {
        long now = System.nanoTime();
        if (now - lastCheck < CHECK_EVERY_NS) {
            return;
        }
        lastCheck = now;
        synchronized (this) {
            boolean ours;
            try {
                ours = Files.exists(REGISTERED_PARAM)
                        && Integer.parseInt(Files.readString(REGISTERED_PARAM).trim()) == pid;
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
                    LOG.info("kernel modules are back: registered again as the data loader{}", registerKnown());
                } catch (KernelCallException | IllegalStateException e) {
                    LOG.warn("kernel modules present but not usable yet: {}", e.getMessage());
                    detach();
                }
            }
        }
    }

    /**
     * Registers the groups this process knew with a new runtime_monitor, which reports them again
     * (and gives them slots once acknowledged); groups gone meanwhile are forgotten.
     */
    private String registerKnown() {
        int again = 0;
        List<Integer> gone = new ArrayList<>();
        try (RuntimeMonitorDevice runtime = RuntimeMonitorDevice.open()) {
            for (Map.Entry<Integer, int[]> g : known.entrySet()) {
                try {
                    runtime.addGroup(g.getKey(), g.getValue()[0], Math.max(1, g.getValue()[1]));
                    again++;
                } catch (KernelCallException e) {
                    if (e.errno() == Errno.EEXIST) {
                        again++;
                    } else {
                        gone.add(g.getKey());
                        LOG.info("group {} not registered again: {}", g.getKey(), e.getMessage());
                    }
                }
            }
        }
        gone.forEach(known::remove);
        return again == 0 ? "" : "; registered its " + again + " groups again";
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
            try {
                netlink.sendAck(pgid, jobId);
            } catch (KernelCallException | IllegalStateException e) {
                LOG.warn("acknowledging group {}: {} (runtime_monitor unloaded?)", pgid, e.getMessage());
            }
        }
    }

    @Override
    public String register(int pgid, int jobId, int workers) {
        try (RuntimeMonitorDevice runtime = RuntimeMonitorDevice.open()) {
            runtime.addGroup(pgid, jobId, workers);
        } catch (KernelCallException e) {
            if (e.errno() == Errno.EEXIST) {
                throw new IllegalStateException("process group " + pgid + " is registered already");
            }
            throw e;
        }
        return "registered with runtime_monitor";
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

    /** Closing the netlink socket ends the registration as the data loader. */
    @Override
    public synchronized void close() {
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
