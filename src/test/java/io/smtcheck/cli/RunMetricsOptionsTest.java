// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code run --metrics-port} and --metrics-address: what is refused, in one line, before anything starts. */
@Timeout(60)
class RunMetricsOptionsTest {
    @TempDir
    Path dir;

    private CliRun run(String... first) {
        return CliRun.dryRun(dir, first);
    }

    private static String oneErrorLine(CliRun o, int code) {
        return o.oneErrorLine(code);
    }

    @Test
    void aPortInUseRefusesTheCommandBeforeAnythingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertEquals("run: --metrics-port: cannot listen on 127.0.0.1:" + port + ": Address already in use",
                    oneErrorLine(run("--metrics-port", Integer.toString(port)), ExitCodes.REFUSED));
            assertFalse(Files.exists(dir.resolve("state")), "no state directory was locked");
            assertFalse(Files.exists(dir.resolve("control.sock")), "no control socket was bound");
            assertFalse(Files.exists(dir.resolve("data")), "no store was opened");

            Path conf = dir.resolve("smtcheck.conf");
            Files.write(conf, List.of("# metrics", "metrics-port=" + port));
            assertEquals("run: " + conf + ":2: metrics-port: cannot listen on 127.0.0.1:" + port
                    + ": Address already in use",
                    oneErrorLine(run("--config", conf.toString()), ExitCodes.REFUSED));
        }
    }

    @Test
    void badValuesAreCommandLineErrors() throws Exception {
        assertEquals("run: --metrics-port must be between 1 and 65535, not 0",
                oneErrorLine(run("--metrics-port", "0"), ExitCodes.USAGE));
        assertEquals("run: --metrics-port must be between 1 and 65535, not 70000",
                oneErrorLine(run("--metrics-port", "70000"), ExitCodes.USAGE));
        assertEquals("run: --metrics-address must be an IP address such as 127.0.0.1 or ::1, not localhost",
                oneErrorLine(run("--metrics-port", "9", "--metrics-address", "localhost"), ExitCodes.USAGE));
        assertEquals("run: --metrics-address must be an IP address such as 127.0.0.1 or ::1, not 300.1.2.3",
                oneErrorLine(run("--metrics-port", "9", "--metrics-address", "300.1.2.3"), ExitCodes.USAGE));
        assertEquals("run: --metrics-address must be an IP address such as 127.0.0.1 or ::1, not ::g",
                oneErrorLine(run("--metrics-port", "9", "--metrics-address", "::g"), ExitCodes.USAGE));
        Path conf = dir.resolve("smtcheck.conf");
        Files.write(conf, List.of("metrics-port=9", "metrics-address=somewhere"));
        assertEquals("run: " + conf + ":2: metrics-address must be an IP address such as 127.0.0.1 or ::1, not somewhere",
                oneErrorLine(run("--config", conf.toString()), ExitCodes.USAGE));
    }
}
