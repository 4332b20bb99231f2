// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.os.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetlinkChannelTest {
    /** A netlink message as the kernel lays it out. */
    private static ByteBuffer message(ByteBuffer into, int type, int seq, int... payloadInts) {
        int len = Uapi.NLMSG_HDRLEN + payloadInts.length * 4;
        into.putInt(len).putShort((short) type).putShort((short) 0).putInt(seq).putInt(0);
        for (int v : payloadInts) {
            into.putInt(v);
        }
        return into;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    private static ByteBuffer buffer() {
        return ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void decodesKernelMessages() {
        try (NetlinkChannel ch = NetlinkChannel.open(Libc.NETLINK_USERSOCK, 0)) {
            ByteBuffer b = buffer();
            message(b, Uapi.NL_LONG_RUNNING, 0, 1234, 7, 2, Uapi.REASON_THRESHOLD, 3700, 0);
            message(b, Uapi.NL_REGISTERED, 9, 1234, 7, 12, 0);
            message(b, Uapi.NL_RELEASED, 0, 1234, 7, 12, Uapi.RELEASE_EXITED);
            // NLMSG_ERROR: the error, then the request's header (here EPERM for sequence 5)
            message(b, Uapi.NLMSG_ERROR, 5, -1, 24, Uapi.NL_REGISTER | (Uapi.NLM_F_REQUEST << 16), 5, 77);
            List<NetlinkChannel.Event> events = ch.parse(bytes(b), 0);
            assertEquals(List.of(new NetlinkChannel.LongRunning(1234, 7, 2, 0, 3700),
                    new NetlinkChannel.Registered(1234, 7, 12, 9),
                    new NetlinkChannel.Released(1234, 7, 12, 0),
                    new NetlinkChannel.Answer(5, -1)), events);
            assertEquals(0, ch.dropped());
        }
    }

    @Test
    void dropsMalformedMessagesAndKeepsTheRest() {
        try (NetlinkChannel ch = NetlinkChannel.open(Libc.NETLINK_USERSOCK, 0)) {
            ByteBuffer b = buffer();
            message(b, Uapi.NL_LONG_RUNNING, 0, 1, 2, 3); // short payload
            message(b, 0x7f, 0, 1, 2, 3, 4); // unknown type
            message(b, Uapi.NL_RELEASED, 0, 5, 6, 7, 0);
            assertEquals(List.of(new NetlinkChannel.Released(5, 6, 7, 0)), ch.parse(bytes(b), 0));
            assertEquals(2, ch.dropped());

            ByteBuffer lying = buffer();
            lying.putInt(4000).putShort((short) Uapi.NL_RELEASED).putShort((short) 0).putInt(0).putInt(0);
            assertEquals(List.of(), ch.parse(bytes(lying), 0));
            assertEquals(List.of(), ch.parse(new byte[7], 0));
            assertEquals(4, ch.dropped());
        }
    }

    @Test
    void dropsWhatUserspaceSends() throws Exception {
        try (NetlinkChannel listener = NetlinkChannel.open(Libc.NETLINK_USERSOCK, 0);
                NetlinkChannel forger = NetlinkChannel.open(Libc.NETLINK_USERSOCK, 0)) {
            KernelStructs.NlReleased forged = new KernelStructs.NlReleased();
            forged.pgid = 1;
            forged.global_jobid = 1;
            forged.slot = 0;
            forger.send(Uapi.NL_RELEASED, forged, listener.port());
            List<NetlinkChannel.Event> got = List.of();
            for (int i = 0; i < 8 && listener.dropped() == 0; i++) {
                got = listener.receive();
                assertEquals(List.of(), got);
            }
            assertEquals(1, listener.dropped(), "a well-formed message from a user port is still dropped");
        }
    }

    @Test
    void aPortTakenFirstDoesNotStopTheChannel() {
        // Anyone may bind any free port: the one named after the daemon's pid can be taken first.
        int pid = (int) ProcessHandle.current().pid();
        try (NetlinkChannel squatter = NetlinkChannel.open(Libc.NETLINK_USERSOCK, pid);
                NetlinkChannel ch = NetlinkChannel.openKernelChosen(Libc.NETLINK_USERSOCK)) {
            assertEquals(pid, squatter.port());
            assertTrue(ch.port() != 0 && ch.port() != pid, "port " + ch.port());
        }
    }

    @Test
    void registrationWithNoKernelSideFailsClearly() {
        // NETLINK_USERSOCK has no kernel socket: the registration is refused at once.
        try (NetlinkChannel ch = NetlinkChannel.openKernelChosen(Libc.NETLINK_USERSOCK)) {
            KernelCallException e = assertThrows(KernelCallException.class, ch::register);
            assertEquals(Errno.ECONNREFUSED, e.errno(), e.getMessage());
            assertTrue(e.getMessage().startsWith("sendto(netlink protocol 2, port 0)"), e.getMessage());
        }
    }

    @Test
    void receiveTimesOutAndCloseIsIdempotent() {
        NetlinkChannel ch = NetlinkChannel.open(Libc.NETLINK_USERSOCK, 0);
        long start = System.nanoTime();
        assertEquals(List.of(), ch.receive());
        assertTrue(System.nanoTime() - start < 5_000_000_000L);
        ch.close();
        ch.close();
        assertEquals(List.of(), ch.receive());
        assertThrows(IllegalStateException.class, () -> ch.sendAck(1, 1));
    }

    @Test
    void withoutTheModuleTheProtocolIsMissing() {
        // The build machines' kernels have no runtime_monitor: the socket cannot be made.
        java.nio.file.Path dev = java.nio.file.Path.of(Uapi.RUNTIME_MONITOR_DEVICE);
        org.junit.jupiter.api.Assumptions.assumeFalse(java.nio.file.Files.exists(dev));
        KernelCallException e = assertThrows(KernelCallException.class, NetlinkChannel::openRuntimeMonitor);
        assertTrue(e.call().startsWith("socket(AF_NETLINK, netlink protocol 31)"), e.call());
    }
}
