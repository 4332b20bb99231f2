// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.proc.ProcessTable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's control socket: a unix stream socket, mode 0660, on which each line is one JSON
 * request ({@code {"command":"status",...}}) and gets one JSON line back ({@code {"ok":true,
 * "result":...}} or {@code {"ok":false,"error":"..."}}). Whoever can open the socket (root and its
 * group) may ask; only root (peer uid 0, from SO_PEERCRED) may run commands that change state, and
 * a command about one process group only root or the uid the group's leader runs as.
 * Malformed, oversized and unknown requests get an error answer and the server keeps serving.
 */
public final class ControlServer implements AutoCloseable {
    /** What a command does with a request: the result, or an exception whose message becomes the error. */
    @FunctionalInterface
    public interface Handler {
        JsonNode run(JsonNode request, Peer peer) throws Exception;
    }

    /** Who may run a command; root may run every one. */
    public enum Access {
        /** Whoever can open the socket. */
        ANYONE,
        /**
         * Whoever owns the process group the request names in {@code "pgid"}: the uid its leader
         * runs as (the owner of /proc/PGID).
         */
        GROUP_OWNER,
        /** Root only: the command changes the daemon's state. */
        ROOT
    }

    /** One command the server answers, and who may run it. */
    public record Command(Access access, Handler handler) {
        /** A command anyone who can open the socket may run. */
        public static Command reading(Handler handler) {
            return new Command(Access.ANYONE, handler);
        }

        /** A command that changes the daemon's state: root only. */
        public static Command changing(Handler handler) {
            return new Command(Access.ROOT, handler);
        }

        /** A command about one process group (the request's {@code "pgid"}): its owner or root. */
        public static Command onOwnGroup(Handler handler) {
            return new Command(Access.GROUP_OWNER, handler);
        }
    }

    /** The connected process, as the kernel vouches for it. */
    public record Peer(int pid, int uid, int gid) {
    }

    public static final int MAX_LINE = 64 * 1024;
    static final int IDLE_TIMEOUT_MS = 30_000;
    static final int MAX_CLIENTS = 8;

    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ProcessTable PROCESSES = new ProcessTable();

    private final Path path;
    private final UnixServerSocketChannel server;
    private final Map<String, Command> commands;
    private final ThreadPoolExecutor clients;
    private final Thread acceptor;
    private final AtomicLong errors = new AtomicLong();
    private volatile boolean closed;

    private ControlServer(Path path, UnixServerSocketChannel server, Map<String, Command> commands) {
        this.path = path;
        this.server = server;
        this.commands = Map.copyOf(commands);
        this.clients = new ThreadPoolExecutor(MAX_CLIENTS, MAX_CLIENTS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_CLIENTS), r -> {
                    Thread t = new Thread(r, "control-client");
                    t.setDaemon(true);
                    return t;
                });
        this.clients.allowCoreThreadTimeOut(true);
        this.acceptor = new Thread(this::acceptLoop, "control-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds the socket at {@code path} (mode 0660, group {@code group} when not null) and starts
     * serving. A stale socket file left by a dead daemon is replaced; a live one is an error.
     */
    public static ControlServer start(Path path, String group, Map<String, Command> commands) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (Files.exists(path)) {
            if (isLive(path)) {
                throw new IOException("another daemon is already listening on " + path);
            }
            Files.delete(path);
        }
        UnixServerSocketChannel server = UnixServerSocketChannel.open();
        try {
            server.socket().bind(new UnixSocketAddress(path.toFile()));
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
            if (group != null) {
                GroupPrincipal g = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
                Files.getFileAttributeView(path, PosixFileAttributeView.class).setGroup(g);
            }
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(path);
            throw e;
        }
        ControlServer s = new ControlServer(path, server, commands);
        s.acceptor.start();
        return s;
    }

    private static boolean isLive(Path path) {
        try (UnixSocketChannel c = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()))) {
            return c.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    public Path path() {
        return path;
    }

    /** Requests answered with an error so far. */
    public long errors() {
        return errors.get();
    }

    private void acceptLoop() {
        while (!closed) {
            UnixSocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("control socket accept failed: {}", e.getMessage());
                }
                continue;
            }
            if (client == null) {
                continue;
            }
            if (closed) {
                refuse(client, "the daemon is stopping");
                return;
            }
            try {
                clients.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                refuse(client, "too many clients");
            }
        }
    }

    private void refuse(UnixSocketChannel client, String why) {
        try (client; OutputStream out = Channels.newOutputStream(client)) {
            out.write(answer(error(why)));
        } catch (IOException ignored) {
            // the client went away
        }
    }

    private void serve(UnixSocketChannel client) {
        try (client) {
            Credentials c = client.getOption(UnixSocketOptions.SO_PEERCRED);
            Peer peer = new Peer(c.getPid(), c.getUid(), c.getGid());
            client.setOption(UnixSocketOptions.SO_RCVTIMEO, IDLE_TIMEOUT_MS);
            InputStream in = Channels.newInputStream(client);
            OutputStream out = Channels.newOutputStream(client);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while (!closed && (b = in.read()) >= 0) {
                if (b != '\n') {
                    if (line.size() >= MAX_LINE) {
                        out.write(answer(error("request longer than " + MAX_LINE + " bytes")));
                        errors.incrementAndGet();
                        return; // the rest of the line cannot be resynchronised
                    }
                    line.write(b);
                    continue;
                }
                out.write(answer(handle(line.toString(StandardCharsets.UTF_8), peer)));
                out.flush();
                line.reset();
            }
        } catch (IOException e) {
            LOG.debug("control client: {}", e.getMessage());
        }
    }

    /** Answers one request line. */
    ObjectNode handle(String text, Peer peer) {
        JsonNode request;
        try {
            request = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            errors.incrementAndGet();
            return error("malformed request: " + e.getOriginalMessage());
        }
        if (request == null || !request.isObject() || !request.path("command").isTextual()) {
            errors.incrementAndGet();
            return error("a request is a JSON object with a \"command\" string");
        }
        String name = request.get("command").asText();
        Command command = commands.get(name);
        if (command == null) {
            errors.incrementAndGet();
            return error("unknown command '" + name + "'; known: " + String.join(", ", commands.keySet().stream().sorted().toList()));
        }
        String refusal = refusal(name, command.access(), request, peer);
        if (refusal != null) {
            errors.incrementAndGet();
            return error(refusal);
        }
        try {
            ObjectNode ok = JSON.createObjectNode();
            ok.put("ok", true);
            ok.set("result", command.handler().run(request, peer));
            return ok;
        } catch (Exception e) {
            errors.incrementAndGet();
            return error(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    /** Why this peer may not run this command, or null when it may. */
    private static String refusal(String name, Access access, JsonNode request, Peer peer) {
        if (peer.uid() == 0 || access == Access.ANYONE) {
            return null;
        }
        if (access == Access.ROOT) {
            return "permission denied: '" + name + "' changes the daemon's state and needs root (your uid is "
                    + peer.uid() + ")";
        }
        JsonNode pgid = request.path("pgid");
        if (!pgid.isInt() || pgid.asInt() <= 0) {
            return "pgid: a process group id (a positive integer) is required";
        }
        OptionalInt owner = PROCESSES.leaderUid(pgid.asInt());
        if (owner.isEmpty()) {
            return "pgid: no process group " + pgid.asInt() + " is running (process " + pgid.asInt()
                    + " is not there or leads no group of that number)";
        }
        if (owner.getAsInt() != peer.uid()) {
            return "permission denied: process group " + pgid.asInt() + " belongs to uid " + owner.getAsInt()
                    + ", not to you (uid " + peer.uid() + ")";
        }
        return null;
    }

    private static ObjectNode error(String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("ok", false);
        n.put("error", message);
        return n;
    }

    private static byte[] answer(ObjectNode n) throws JsonProcessingException {
        return (JSON.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Closing the socket does not wake a thread blocked in accept(), and that thread would go
        // on accepting on whatever socket reuses the descriptor number. A connection of our own
        // wakes it; it sees the flag and ends before the descriptor is released.
        try (UnixSocketChannel wake = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()))) {
            acceptor.join(2000);
        } catch (IOException e) {
            LOG.debug("cannot wake the control socket's acceptor: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing control socket: {}", e.getMessage());
        }
        acceptor.interrupt();
        clients.shutdownNow();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", path, e.getMessage());
        }
    }
}
