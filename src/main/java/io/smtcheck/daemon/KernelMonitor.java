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
import java.util.List;
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
 *
 * <p>It keeps no list of groups: the kernel's own registrations and the shared table say which
 * groups it tracks, and the daemon's state which of them are managed and in which slot. When the
 * modules come back it reports {@link Monitor.Reattached}, and the daemon registers the groups it
 * knew again ({@link #registerAgain}); counters are read from the slot the daemon names.
 */
final class KernelMonitor implements Monitor {
    private static final Logger LOG = LoggerFactory.getLogger(KernelMonitor.class);
    private static final Path REGISTERED_PARAM = Path.of("/sys/module/runtime_monitor/parameters/registered_pid");
    private static final long CHECK_EVERY_NS = 2_000_000_000L;

    private final int threshold;
    private final int pid = (int) ProcessHandle.current().pid();
    private IpcMonitorDevice ipc;
    private NetlinkChannel netlink;
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
            out.add(new Detected(s.pgid(), s.jobId(), s.workers(), 0, ""));
            out.add(new SlotAssigned(s.pgid(), s.index()));
        }
        return out;
    }

    @Override
    public List<Event> poll() {
        List<Event> out = new ArrayList<>();
        if (checkModules()) {
            out.add(new Reattached());
        }
        NetlinkChannel channel;
        synchronized (this) {
            channel = netlink;
        }
        if (channel == null) {
            sleepQuietly(250);
            return out;
        }
        List<NetlinkChannel.Event> received;
        try {
            received = channel.receive();
        } catch (KernelCallException e) {
            LOG.debug("netlink: {}", e.getMessage());
            sleepQuietly(250);
            return out;
        }
        for (NetlinkChannel.Event e : received) {
            if (e instanceof NetlinkChannel.LongRunning l) {
                out.add(new Detected(l.pgid(), l.jobId(), l.workers(), l.runtimeSeconds(), ""));
            } else if (e instanceof NetlinkChannel.Registered r) {
                out.add(new SlotAssigned(r.pgid(), r.slot()));
            } else if (e instanceof NetlinkChannel.Released r) {
                out.add(new Exited(r.pgid()));
            }
        }
        return out;
    }

    /**
     * Notices modules that went away or came back (a reload forgets the registration); true when
     * they came back, and this process is their data loader again.
     */
    private boolean checkModules() {
        long now = System.nanoTime();
        if (now - lastCheck < CHECK_EVERY_NS) {
            return false;
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
                    LOG.info("kernel modules are back: registered again as the data loader");
                    return true;
                } catch (KernelCallException | IllegalStateException e) {
                    LOG.warn("kernel modules present but not usable yet: {}", e.getMessage());
                    detach();
                }
            }
            return false;
        }
    }

    /** Registers a group with the new runtime_monitor, which reports it again (and gives it a slot once acknowledged). */
    @Override
    public boolean registerAgain(int pgid, int jobId, int workers) {
        try (RuntimeMonitorDevice runtime = RuntimeMonitorDevice.open()) {
            runtime.addGroup(pgid, jobId, Math.max(1, workers));
            return true;
        } catch (KernelCallException e) {
            if (e.errno() == Errno.EEXIST) {
                return true;
            }
            LOG.info("group {} not registered again: {}", pgid, e.getMessage());
            return false;
        }
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
    public synchronized Optional<Counters> counters(int pgid, int slot) {
        if (!attached || slot < 0 || slot >= Uapi.MAX_SLOTS) {
            return Optional.empty();
        }
        SharedTable.Slot s;
        try {
            s = ipc.table().slot(slot);
        } catch (IllegalStateException e) {
            return Optional.empty(); // closed by a concurrent detach
        }
        if (s == null || s.pgid() != pgid) {
            return Optional.empty(); // torn, or freed: the kernel zeroes a freed slot's pgid
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
