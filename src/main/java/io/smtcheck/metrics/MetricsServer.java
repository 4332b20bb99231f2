// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.smtcheck.daemon.Daemon;
import java.io.IOException;
import java.net.InetAddress;

/**
 * The OpenMetrics endpoint of {@code smtcheck run --metrics-port}: /metrics, served on its own
 * threads. It is bound before the daemon starts, so that a port in use stops the command before
 * anything else is started, and serves the daemon's metrics once {@link #serve} is called.
 */
public final class MetricsServer implements AutoCloseable {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final HTTPServer http;

    private MetricsServer(InetAddress address, int port) throws IOException {
        http = HTTPServer.builder().inetAddress(address).port(port).registry(registry).buildAndStart();
    }

    /**
     * Binds {@code address}:{@code port} (0: any free port).
     *
     * @throws java.net.BindException when the port is in use or the address is not this machine's
     */
    public static MetricsServer start(InetAddress address, int port) throws IOException {
        return new MetricsServer(address, port);
    }

    /** Serves {@code daemon}'s metrics from now on. */
    public void serve(Daemon daemon) {
        registry.register(new DaemonMetrics(daemon));
    }

    /** The port bound. */
    public int port() {
        return http.getPort();
    }

    @Override
    public void close() {
        http.close();
    }
}
