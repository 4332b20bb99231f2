// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final AtomicInteger resets = new AtomicInteger();
    private ControlServer server;
    private Path socket;

    private Map<String, ControlServer.Command> commands() {
        return Map.of(
                "status", ControlServer.Command.reading((request, peer) -> new IntNode(peer.uid())),
                "reset", ControlServer.Command.changing((request, peer) -> new IntNode(resets.incrementAndGet())),
                "adopt", ControlServer.Command.onOwnGroup((request, peer) -> new IntNode(request.get("pgid").asInt())),
                "fail", ControlServer.Command.reading((request, peer) -> {
                    throw new IllegalStateException("it broke");
                }));
    }

    @BeforeEach
    void start() throws IOException {
        // A directory others may enter, so that the unprivileged test can reach the socket.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        socket = dir.resolve("control.sock");
        server = ControlServer.start(socket, null, commands());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String exchange(UnixSocketChannel ch, String line) throws IOException {
        OutputStream out = Channels.newOutputStream(ch);
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        InputStream in = Channels.newInputStream(ch);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void answersEachLineOnOneConnection() throws Exception {
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        try (UnixSocketChannel ch = UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()))) {
            JsonNode a = JSON.readTree(exchange(ch, "{\"command\":\"status\"}"));
            assertTrue(a.get("ok").asBoolean());
            assertEquals(uid(), a.get("result").asInt());
            assertTrue(exchange(ch, "garbage")
                    .startsWith("{\"ok\":false,\"error\":\"malformed request: Unrecognized token 'garbage'"));
            assertEquals("{\"ok\":false,\"error\":\"a request is a JSON object with a \\\"command\\\" string\"}",
                    exchange(ch, "[1,2]"));
            assertTrue(exchange(ch, "{\"command\":\"launch-missiles\"}")
                    .startsWith("{\"ok\":false,\"error\":\"unknown command 'launch-missiles'; known: adopt, fail, reset, status"));
            assertEquals("{\"ok\":false,\"error\":\"it broke\"}", exchange(ch, "{\"command\":\"fail\"}"));
            // Still serving after all of that.
            assertTrue(JSON.readTree(exchange(ch, "{\"command\":\"status\"}")).get("ok").asBoolean());
        }
        assertEquals(4, server.errors());
    }

    private static int uid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    @Test
    void oversizedRequestIsAnsweredAndTheServerKeepsServing() throws Exception {
        try (UnixSocketChannel ch = UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()))) {
            String huge = "{\"command\":\"status\",\"pad\":\"" + "x".repeat(ControlServer.MAX_LINE) + "\"}";
            assertEquals("{\"ok\":false,\"error\":\"request longer than 65536 bytes\"}", exchange(ch, huge));
        }
        JsonNode r = ControlClient.request(socket, JSON.createObjectNode().put("command", "status"));
        assertTrue(r.get("ok").asBoolean());
    }

    @Test
    void rootMayChangeState() throws Exception {
        assumeTrue(uid() == 0, "runs as root");
        JsonNode r = ControlClient.request(socket, JSON.createObjectNode().put("command", "reset"));
        assertEquals(1, r.get("result").asInt());
    }

    @Test
    void anUnprivilegedPeerMayReadButNotChangeState() throws Exception {
        assumeTrue(uid() == 0, "needs root to act as another uid");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv");
        server.close();
        server = ControlServer.start(socket, "nogroup", commands());
        String status = asNobody("{\"command\":\"status\"}");
        assertEquals("{\"ok\":true,\"result\":65534}", status);
        String reset = asNobody("{\"command\":\"reset\"}");
        assertEquals("{\"ok\":false,\"error\":\"permission denied: 'reset' changes the daemon's state and needs root "
                + "(your uid is 65534)\"}", reset);
        assertEquals(0, resets.get());
    }

    @Test
    void aCommandOnOneGroupIsForItsOwnerOnly() throws Exception {
        assumeTrue(uid() == 0, "needs root to act as another uid");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv");
        server.close();
        server = ControlServer.start(socket, "nogroup", commands());
        // A group of nobody's own, and one of root's.
        Process theirs = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "setsid", "sleep", "30").start();
        try (io.smtcheck.sched.TestGroup roots = new io.smtcheck.sched.TestGroup(1, 0, false)) {
            int own = awaitGroupLeader(theirs);
            assertEquals("{\"ok\":true,\"result\":" + own + "}", asNobody("{\"command\":\"adopt\",\"pgid\":" + own + "}"));
            assertEquals("{\"ok\":false,\"error\":\"permission denied: process group " + roots.pgid()
                    + " belongs to uid 0, not to you (uid 65534)\"}",
                    asNobody("{\"command\":\"adopt\",\"pgid\":" + roots.pgid() + "}"));
            assertEquals("{\"ok\":false,\"error\":\"pgid: a process group id (a positive integer) is required\"}",
                    asNobody("{\"command\":\"adopt\",\"pgid\":\"" + own + "\"}"));
            assertTrue(asNobody("{\"command\":\"adopt\",\"pgid\":" + Integer.MAX_VALUE + "}")
                    .startsWith("{\"ok\":false,\"error\":\"pgid: no process group " + Integer.MAX_VALUE + " is running"));
            // Root may name anyone's group.
            JsonNode r = ControlClient.request(socket, JSON.createObjectNode().put("command", "adopt").put("pgid", own));
            assertEquals(own, r.get("result").asInt());
        } finally {
            theirs.destroyForcibly();
            theirs.waitFor();
        }
    }

    /** The process, once setsid has made it the leader of a group of its own, running sleep. */
    private static int awaitGroupLeader(Process p) throws Exception {
        int pid = (int) p.pid();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (Integer.parseInt(f[2]) == pid && stat.contains("(sleep)")) {
                return pid;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no group of nobody's own appeared");
    }

    private String asNobody(String line) throws Exception {
        String tool = System.getProperty("smtcheck.test.tools", "target/native") + "/smtcheck-control-client";
        Process p = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", tool,
                socket.toString(), line).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void staleSocketIsReplacedLiveOneRefused() throws Exception {
        IOException e = assertThrows(IOException.class, () -> ControlServer.start(socket, null, commands()));
        assertTrue(e.getMessage().startsWith("another daemon is already listening"), e.getMessage());
        server.close();
        assertFalse(Files.exists(socket));
        Files.createFile(socket); // left behind by a daemon that was killed
        server = ControlServer.start(socket, null, commands());
        assertTrue(ControlClient.request(socket, JSON.createObjectNode().put("command", "status")).get("ok").asBoolean());
    }

    @Test
    void clientSaysWhenNothingListens() throws Exception {
        server.close();
        ControlClient.NotRunningException e = assertThrows(ControlClient.NotRunningException.class,
                () -> ControlClient.request(socket, new TextNode("x")));
        assertTrue(e.getMessage().startsWith("daemon is not running"), e.getMessage());
        Files.createFile(socket);
        e = assertThrows(ControlClient.NotRunningException.class, () -> ControlClient.request(socket, new TextNode("x")));
        assertTrue(e.getMessage().startsWith("daemon is not running (nothing listens"), e.getMessage());
    }
}
