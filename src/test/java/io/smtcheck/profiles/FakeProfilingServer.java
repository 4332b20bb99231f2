// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The peer of {@link ProfilingServerClient} in tests: a TCP server speaking the original SMTcheck's
 * profiling protocol (the job id in ASCII in, {@code Benchmark completed} out on the same
 * connection). Each accepted connection's job id is recorded; the test decides when, and whether,
 * to reply.
 */
public final class FakeProfilingServer implements AutoCloseable {
    /** One accepted request. */
    public final class Request {
        private final Socket socket;
        public final String jobId;

        Request(Socket socket, String jobId) {
            this.socket = socket;
            this.jobId = jobId;
        }

        /** The completion reply, as the original sends it (and keeps the connection open). */
        public void complete() throws IOException {
            socket.getOutputStream().write("Benchmark completed".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }

        /** Closes the connection without replying. */
        public void drop() throws IOException {
            socket.close();
        }
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /** Listens on the loopback {@code port} (0: any free one). */
    public FakeProfilingServer(int port) throws IOException {
        server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "fake-profiling-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A loopback port that nothing listens on now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public ProfilingServerClient.Address address() {
        return new ProfilingServerClient.Address("127.0.0.1", port());
    }

    /** The next request, waiting up to {@code seconds}; null when none came. */
    public Request next(int seconds) throws InterruptedException {
        return requests.poll(seconds, TimeUnit.SECONDS);
    }

    /** The job ids of every request received so far, in order. */
    public List<String> received() {
        return List.copyOf(received);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                // As the original: one read of at most 1024 bytes is the job id.
                InputStream in = s.getInputStream();
                byte[] buf = new byte[1024];
                int n = in.read(buf);
                String id = n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII).strip();
                received.add(id);
                requests.add(new Request(s, id));
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
