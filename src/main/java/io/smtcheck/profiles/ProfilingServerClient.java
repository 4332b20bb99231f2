// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.function.IntPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Profiling requests sent to the original SMTcheck's profiling server, in its protocol: one TCP
 * connection per job, the job id in ASCII, then the server's reply {@value #COMPLETED} on the same
 * connection when the job's profiling is done (its measurements are then in the original's store).
 * Each job is asked for once: a job whose request is under way, or whose profiling was
 * completed, is not asked again. While the server is down, or when it closes a connection without
 * the reply (it lost the request), the job is asked again after a pause that doubles from
 * {@link StoreSettings#firstBackoff()} to {@link StoreSettings#maxBackoff()}. Thread-safe.
 */
public final class ProfilingServerClient implements ProfilingRequests {
    private static final Logger LOG = LoggerFactory.getLogger(ProfilingServerClient.class);
    /** The server's reply once a job is profiled. */
    public static final String COMPLETED = "Benchmark completed";

    /** HOST:PORT of a profiling server. */
    public record Address(String host, int port) {
        public Address {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("the profiling server's host is missing (expected HOST:PORT)");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("the profiling server's port " + port + " is not in 1..65535");
            }
        }

        /** @throws IllegalArgumentException for anything but HOST:PORT */
        public static Address parse(String text) {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT");
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                return new Address(host, Integer.parseInt(text.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT: the port is not a number");
            }
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    private final Address address;
    private final StoreSettings settings;
    private final IntPredicate profiled;
    private final IntConsumer completed;

    /** Guarded by this. */
    private final Map<Integer, Thread> underWay = new HashMap<>();
    private final Set<Integer> done = new HashSet<>();
    private final Set<Socket> open = new HashSet<>();
    private boolean closed;
    private boolean down;

    /**
     * @param profiled  whether a job's profile has turned up meanwhile (then it is not asked again)
     * @param completed told of each job the server reports profiled
     */
    public ProfilingServerClient(Address address, StoreSettings settings, IntPredicate profiled, IntConsumer completed) {
        this.address = address;
        this.settings = settings;
        this.profiled = profiled;
        this.completed = completed;
    }

    public Address address() {
        return address;
    }

    /** Starts asking the server for the job in the background, unless it is asked for or profiled already. */
    @Override
    public synchronized RequestCollection.Outcome file(int jobId) {
        if (jobId < 0) {
            throw new IllegalArgumentException("job id " + jobId + " is negative");
        }
        if (closed) {
            throw new StoreUnavailableException("the profiling server client for " + address + " is closed", null);
        }
        if (underWay.containsKey(jobId) || done.contains(jobId)) {
            return RequestCollection.Outcome.ALREADY_FILED;
        }
        Thread t = new Thread(() -> ask(jobId), "profiling-request-" + jobId);
        t.setDaemon(true);
        underWay.put(jobId, t);
        t.start();
        return RequestCollection.Outcome.FILED;
    }

    /** The jobs asked for whose profiling the server has not reported done. */
    public synchronized Set<Integer> underWay() {
        return Set.copyOf(underWay.keySet());
    }

    /** Stops asking; connections still waiting for a reply are closed (the server keeps the requests it took). */
    @Override
    public void close() {
        List<Thread> threads;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            threads = List.copyOf(underWay.values());
            for (Socket s : open) {
                try {
                    s.close();
                } catch (IOException e) {
                    LOG.debug("closing a connection to {}: {}", address, e.getMessage());
                }
            }
            if (!underWay.isEmpty()) {
                LOG.info("profiling server at {} had not reported jobs {} done when the daemon stopped", address,
                        underWay.keySet());
            }
        }
        threads.forEach(Thread::interrupt);
    }

    private void ask(int jobId) {
        Duration pause = settings.firstBackoff();
        try {
            while (!isClosed()) {
                String problem = askOnce(jobId);
                if (problem == null) {
                    synchronized (this) {
                        underWay.remove(jobId);
                        done.add(jobId);
                    }
                    LOG.info("profiling server at {}: job {} profiled", address, jobId);
                    completed.accept(jobId);
                    return;
                }
                if (isClosed()) {
                    return;
                }
                if (profiled.test(jobId)) {
                    LOG.info("job {}: its profile turned up; the profiling server at {} is not asked again", jobId, address);
                    synchronized (this) {
                        underWay.remove(jobId);
                        done.add(jobId);
                    }
                    return;
                }
                LOG.warn("profiling request for job {}: {}; asking again in {} ms", jobId, problem, pause.toMillis());
                Thread.sleep(pause.toMillis());
                pause = settings.nextBackoff(pause);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (this) {
                if (!done.contains(jobId) && !closed) {
                    underWay.remove(jobId);
                }
            }
        }
    }

    /** One connection: null when the server replied that the job is profiled, else what went wrong. */
    private String askOnce(int jobId) {
        try (Socket s = new Socket()) {
            synchronized (this) {
                if (closed) {
                    return "stopped";
                }
                open.add(s);
            }
            try {
                s.setKeepAlive(true); // the reply may take hours; a vanished server must not hold the job forever
                s.connect(new InetSocketAddress(address.host(), address.port()), (int) settings.timeout().toMillis());
                OutputStream out = s.getOutputStream();
                out.write(Integer.toString(jobId).getBytes(StandardCharsets.US_ASCII));
                out.flush();
                reachable();
                LOG.info("profiling request for job {} sent to the profiling server at {}", jobId, address);
                String reply = readReply(s.getInputStream());
                if (reply.contains(COMPLETED)) {
                    return null;
                }
                return reply.isEmpty() ? "the profiling server at " + address + " closed the connection without replying"
                        : "the profiling server at " + address + " replied '" + reply.strip() + "', not '" + COMPLETED + "'";
            } finally {
                synchronized (this) {
                    open.remove(s);
                }
            }
        } catch (IOException e) {
            unreachable();
            return "the profiling server at " + address + " is unreachable (" + e.getMessage() + ")";
        }
    }

    /** What the server sent until it sent the completion reply or closed the connection. */
    private static String readReply(InputStream in) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) {
            got.write(buf, 0, n);
            String text = got.toString(StandardCharsets.US_ASCII);
            if (text.contains(COMPLETED) || got.size() > 65536) {
                return text;
            }
        }
        return got.toString(StandardCharsets.US_ASCII);
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    private synchronized void reachable() {
        if (down) {
            LOG.info("profiling server at {} is reachable again", address);
        }
        down = false;
    }

    private synchronized void unreachable() {
        down = true;
    }
}
