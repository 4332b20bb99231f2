// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import io.smtcheck.os.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The netlink socket on which runtime_monitor reports long-running and released groups, and on
 * which the daemon acknowledges them. The socket has a port the kernel chose and registers itself
 * as the data loader ({@link #register()}): the kernel sends to the port it saw the registration
 * come from, so whoever binds some port first cannot receive the reports. Only messages sent by
 * the kernel (sender port 0) are accepted; anything else, and anything malformed, is dropped and
 * counted.
 */
public final class NetlinkChannel implements AutoCloseable {
    /** What the kernel reports. */
    public sealed interface Event permits LongRunning, Registered, Released, Answer {
    }

    /** A group ran past the threshold, or its report was requested. */
    public record LongRunning(int pgid, int jobId, int workers, int reason, long runtimeSeconds) implements Event {
    }

    /** The answer to an ACK: the IPC slot the group got, or a negative errno. */
    public record Registered(int pgid, int jobId, int slot, int sequence) implements Event {
    }

    /**
     * A group's processes have all exited, or it was removed; its slot is free. The kernel may
     * retry this message after the slot went to another group: match it by pgid and job id.
     */
    public record Released(int pgid, int jobId, int slot, int reason) implements Event {
    }

    /** The kernel's answer (NLMSG_ERROR) to a request: 0 or a negative errno. */
    public record Answer(int sequence, int error) implements Event {
    }

    private static final int BUFFER = 16384;
    private static final int RECEIVE_TIMEOUT_MS = 250;
    private static final int REGISTER_TRIES = 8; // receive timeouts: two seconds in all
    /** struct nlmsgerr: the error, then the header of the request it answers. */
    private static final int NLMSGERR_SIZE = 4 + Uapi.NLMSG_HDRLEN;

    private final int fd;
    private final int protocol;
    private final int port;
    private final Memory buffer = new Memory(BUFFER);
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicLong dropped = new AtomicLong();
    /** Events that arrived while register() waited for its answer. */
    private final List<Event> pending = new ArrayList<>();
    private int nextSequence = 1;
    private boolean closed;

    private NetlinkChannel(int fd, int protocol, int port) {
        this.fd = fd;
        this.protocol = protocol;
        this.port = port;
    }

    /**
     * The daemon's channel to runtime_monitor, on a port the kernel chooses; {@link #register()}
     * makes it the data loader.
     */
    public static NetlinkChannel openRuntimeMonitor() {
        return openKernelChosen(Uapi.NETLINK_PROTO);
    }

    /** A socket of {@code protocol} on a free port the kernel picks, whoever holds the others. */
    static NetlinkChannel openKernelChosen(int protocol) {
        return open(protocol, 0);
    }

    /** Opens a netlink socket of {@code protocol}, bound to {@code port} (0: let the kernel choose). */
    static NetlinkChannel open(int protocol, int port) {
        String what = "netlink protocol " + protocol;
        int fd = Libc.call("socket(AF_NETLINK, " + what + ")",
                () -> Libc.C.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, protocol));
        try {
            KernelStructs.SockaddrNl addr = new KernelStructs.SockaddrNl();
            addr.nl_family = Libc.AF_NETLINK;
            addr.nl_pid = port;
            addr.write();
            Libc.call("bind(" + what + ", port " + port + ")", () -> Libc.C.bind(fd, addr, addr.size()));
            IntByReference len = new IntByReference(addr.size());
            Libc.call("getsockname(" + what + ")", () -> Libc.C.getsockname(fd, addr, len));
            addr.read();
            KernelStructs.Timeval timeout = new KernelStructs.Timeval();
            timeout.tv_usec = RECEIVE_TIMEOUT_MS * 1000L;
            timeout.write();
            Libc.call("setsockopt(SO_RCVTIMEO)",
                    () -> Libc.C.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, timeout, timeout.size()));
            return new NetlinkChannel(fd, protocol, addr.nl_pid);
        } catch (RuntimeException e) {
            Libc.closeQuietly(fd);
            throw e;
        }
    }

    /** The port this socket is bound to. */
    public int port() {
        return port;
    }

    /** Messages dropped: not from the kernel, or malformed. */
    public long dropped() {
        return dropped.get();
    }

    /**
     * Waits a short while (a quarter second) for one datagram and returns the events it carries:
     * none on timeout, after close, or when the datagram was dropped.
     */
    public List<Event> receive() {
        synchronized (pending) {
            if (!pending.isEmpty()) {
                List<Event> earlier = new ArrayList<>(pending);
                pending.clear();
                return earlier;
            }
        }
        return receiveDatagram();
    }

    private List<Event> receiveDatagram() {
        lock.readLock().lock();
        try {
            if (closed) {
                return List.of();
            }
            KernelStructs.SockaddrNl from = new KernelStructs.SockaddrNl();
            IntByReference fromLen = new IntByReference(from.size());
            long n;
            try {
                n = Libc.call("recvfrom(netlink protocol " + protocol + ")",
                        () -> Libc.C.recvfrom(fd, buffer, BUFFER, 0, from, fromLen));
            } catch (KernelCallException e) {
                if (e.errno() == Errno.EAGAIN || e.errno() == Errno.EINTR) {
                    return List.of();
                }
                throw e;
            }
            from.read();
            byte[] data = buffer.getByteArray(0, (int) n);
            List<Event> events = parse(data, from.nl_pid);
            return events;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * The events in one datagram from {@code senderPort}. A datagram that did not come from the kernel
     * is dropped whole; inside a kernel datagram, any message that is not exactly one of the known
     * types with its exact length is dropped alone.
     */
    List<Event> parse(byte[] data, int senderPort) {
        List<Event> events = new ArrayList<>();
        if (senderPort != 0) {
            dropped.incrementAndGet();
            return events;
        }
        Memory m = new Memory(Math.max(1, data.length));
        m.write(0, data, 0, data.length);
        int off = 0;
        while (off + Uapi.NLMSG_HDRLEN <= data.length) {
            KernelStructs.NlMsgHdr h = new KernelStructs.NlMsgHdr(m.share(off));
            int len = h.nlmsg_len;
            if (len < Uapi.NLMSG_HDRLEN || len > data.length - off) {
                dropped.incrementAndGet();
                return events;
            }
            Event e = decode(h, m, off + Uapi.NLMSG_HDRLEN, len - Uapi.NLMSG_HDRLEN);
            if (e == null) {
                dropped.incrementAndGet();
            } else {
                events.add(e);
            }
            off += (len + 3) & ~3;
        }
        if (off < data.length) {
            dropped.incrementAndGet();
        }
        return events;
    }

    private static Event decode(KernelStructs.NlMsgHdr h, Memory m, int payload, int length) {
        switch (h.nlmsg_type) {
            case Uapi.NLMSG_ERROR -> {
                if (length < NLMSGERR_SIZE) {
                    return null;
                }
                return new Answer(h.nlmsg_seq, m.getInt(payload));
            }
            case Uapi.NL_LONG_RUNNING -> {
                if (length != 24) {
                    return null;
                }
                KernelStructs.NlLongRunning p = new KernelStructs.NlLongRunning(m.share(payload));
                return new LongRunning(p.pgid, p.global_jobid, p.worker_num, p.reason, p.runtime_sec);
            }
            case Uapi.NL_REGISTERED -> {
                if (length != 16) {
                    return null;
                }
                KernelStructs.NlRegistered p = new KernelStructs.NlRegistered(m.share(payload));
                return new Registered(p.pgid, p.global_jobid, p.slot, h.nlmsg_seq);
            }
            case Uapi.NL_RELEASED -> {
                if (length != 16) {
                    return null;
                }
                KernelStructs.NlReleased p = new KernelStructs.NlReleased(m.share(payload));
                return new Released(p.pgid, p.global_jobid, p.slot, p.reason);
            }
            default -> {
                return null;
            }
        }
    }

    /** Acknowledges a long-running report, which lets the kernel give the group an IPC slot. */
    public int sendAck(int pgid, int jobId) {
        KernelStructs.NlAck ack = new KernelStructs.NlAck();
        ack.pgid = pgid;
        ack.global_jobid = jobId;
        return send(Uapi.NL_ACK, ack, 0);
    }

    /**
     * Registers this socket with runtime_monitor as the data loader, which it stays until the
     * socket is closed. Throws if the kernel refuses (EPERM: no CAP_PERFMON, or not the process
     * the administrator named; EEXIST: another process is the data loader) or does not answer.
     */
    public void register() {
        String what = "netlink registration with runtime_monitor";
        int seq = send(Uapi.NL_REGISTER, new KernelStructs.NlRegister(), 0, Uapi.NLM_F_REQUEST | Uapi.NLM_F_ACK);
        for (int i = 0; i < REGISTER_TRIES; i++) {
            for (Event e : receiveDatagram()) {
                if (e instanceof Answer a && a.sequence() == seq) {
                    if (a.error() != 0) {
                        throw new KernelCallException(what, -a.error());
                    }
                    return;
                }
                if (!(e instanceof Answer)) {
                    synchronized (pending) {
                        pending.add(e);
                    }
                }
            }
        }
        throw new KernelCallException(what + " (no answer)", Errno.ETIMEDOUT);
    }

    /** Sends one message of {@code type} to {@code destination} (0 is the kernel); returns its sequence. */
    int send(int type, KernelStructs.Checked payload, int destination) {
        return send(type, payload, destination, 0);
    }

    private int send(int type, KernelStructs.Checked payload, int destination, int flags) {
        payload.write();
        int total = Uapi.NLMSG_HDRLEN + payload.size();
        Memory msg = new Memory(total);
        KernelStructs.NlMsgHdr h = new KernelStructs.NlMsgHdr(msg);
        int seq;
        synchronized (this) {
            seq = nextSequence++;
        }
        h.nlmsg_len = total;
        h.nlmsg_type = (short) type;
        h.nlmsg_flags = (short) flags;
        h.nlmsg_seq = seq;
        h.nlmsg_pid = port;
        h.write();
        msg.write(Uapi.NLMSG_HDRLEN, payload.getPointer().getByteArray(0, payload.size()), 0, payload.size());
        KernelStructs.SockaddrNl to = new KernelStructs.SockaddrNl();
        to.nl_family = Libc.AF_NETLINK;
        to.nl_pid = destination;
        to.write();
        lock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("the netlink channel is closed");
            }
            Libc.call("sendto(netlink protocol " + protocol + ", port " + destination + ")",
                    () -> Libc.C.sendto(fd, msg, total, 0, to, to.size()));
        } finally {
            lock.readLock().unlock();
        }
        return seq;
    }

    /** Closes the socket once; a receive() in progress returns within its timeout first. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                Libc.closeQuietly(fd);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
