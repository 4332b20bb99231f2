// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.smtcheck.kernel.IpcMonitorDevice;
import io.smtcheck.os.Errno;
import io.smtcheck.os.SystemCallException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Which monitor the daemon runs when the devices exist but are not smtcheck's modules. */
class MonitorChoiceTest {
    @TempDir
    Path dir;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger runtimeLog = (Logger) LoggerFactory.getLogger(DaemonRuntime.class);

    @BeforeEach
    void captureLog() {
        log.start();
        runtimeLog.addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        runtimeLog.detachAppender(log);
    }

    private DaemonOptions options() {
        return new DaemonOptions(1, Duration.ofMillis(200), false, 0.02, true, dir.resolve("s.sock"), null,
                dir.resolve("run"), false);
    }

    /** /dev/null is a real character device that, like another system's module, knows none of our ioctls. */
    private static Monitor openAt(String ipcDevice) {
        IpcMonitorDevice.open(ipcDevice).close();
        throw new AssertionError(ipcDevice + " answered smtcheck's GET_INFO");
    }

    @Test
    void devicesThatAnswerEnottyAreNotOursAndTheUserspaceMonitorRuns() {
        try (Monitor m = DaemonRuntime.chooseMonitor(options(), new DaemonFaultsTest.SampleProfiles(), true,
                () -> openAt("/dev/null"))) {
            assertTrue(m instanceof UserspaceMonitor, m.describe());
        }
        List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(1, lines.size(), lines.toString());
        String line = lines.get(0);
        assertTrue(line.startsWith("the kernel modules do not know smtcheck's commands (ioctl(/dev/null,"
                + " IPCMON_IOC_GET_INFO): Inappropriate ioctl for device)"), line);
        assertTrue(line.endsWith("using the userspace monitor") && !line.contains("\n"), line);
    }

    @Test
    void otherFailuresOfTheKernelMonitorStillStopTheStart() {
        SystemCallException e = assertThrows(SystemCallException.class, () -> DaemonRuntime.chooseMonitor(options(),
                new DaemonFaultsTest.SampleProfiles(), true, () -> openAt(dir.resolve("IPC_monitor").toString())));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(log.list.isEmpty(), log.list.toString());
    }
}
