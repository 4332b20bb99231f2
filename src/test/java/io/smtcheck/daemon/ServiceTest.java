// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.cli.Main;
import io.smtcheck.control.ControlClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon as systemd runs it, in a real process: READY=1 on $NOTIFY_SOCKET once the control
 * socket answers, SIGHUP reloads the configuration file and the model directory without ending the
 * process, SIGTERM says STOPPING=1 and exits 143 (the unit's success status).
 */
@Timeout(180)
class ServiceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Process daemon;
    private UnixDatagramChannel notifications;
    private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

    @AfterEach
    void stop() throws Exception {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (notifications != null) {
            notifications.close();
        }
    }

    /** A datagram socket where the daemon's notifications arrive, as systemd's would. */
    private UnixDatagramChannel listen(Path socket) throws IOException {
        notifications = UnixDatagramChannel.open();
        notifications.bind(new UnixSocketAddress(socket.toFile()));
        Thread receiver = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(4096);
            try {
                while (true) {
                    buf.clear();
                    notifications.receive(buf);
                    buf.flip();
                    received.add(StandardCharsets.UTF_8.decode(buf).toString());
                }
            } catch (IOException e) {
                // closed at the end of the test
            }
        }, "notify-receiver");
        receiver.setDaemon(true);
        receiver.start();
        return notifications;
    }

    /** The next notification, waiting up to {@code seconds}; fails the test if none comes. */
    private String next(int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String n = received.poll(2, TimeUnit.MILLISECONDS);
            if (n != null) {
                return n;
            }
            assertTrue(daemon.isAlive(), "the daemon ended: " + log());
        }
        throw new AssertionError("no notification within " + seconds + " s: " + log());
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("daemon.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private Process start(Path notifySocket, Path config, String... extra) throws IOException {
        return start(HANGUP_AS_SYSTEMD_LEAVES_IT, notifySocket, config, extra);
    }

    /**
     * SIGHUP at its default, as systemd starts a service, whatever this test's own parent did with
     * it: a build started under nohup passes on an ignored SIGHUP, which the daemon's JVM keeps.
     */
    private static final List<String> HANGUP_AS_SYSTEMD_LEAVES_IT = List.of("env", "--default-signal=HUP");

    private Process start(List<String> prefix, Path notifySocket, Path config, String... extra) throws IOException {
        Path run = dir.resolve("run");
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.smtcheck.cli.Main", "run", "--config",
                config.toString(), "--userspace", "--topology", "0", "--socket", run.resolve("control.sock").toString(),
                "--state-dir", run.toString(), "--data-dir", dir.resolve("data").toString()));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("daemon.log").toFile());
        pb.environment().put(SystemdNotifier.SOCKET_ENV, notifySocket.toString());
        daemon = pb.start();
        return daemon;
    }

    private JsonNode status() throws IOException {
        JsonNode answer = ControlClient.request(dir.resolve("run/control.sock"),
                JSON.createObjectNode().put("command", "status"));
        assertTrue(answer.path("ok").asBoolean(), answer.toString());
        return answer.path("result");
    }

    private static void signal(Process p, String name) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start().waitFor());
    }

    @Test
    void readyOnceTheSocketAnswersReloadOnHangupStoppingOnTerm() throws Exception {
        Path models = Files.createDirectories(dir.resolve("models"));
        Path shipped;
        try (var files = Files.list(Path.of("trained_model"))) {
            shipped = files.filter(f -> f.getFileName().toString().startsWith("prediction_model_")).findFirst()
                    .orElseThrow();
        }
        Files.copy(shipped, models.resolve("prediction_model_20250101T000000Z.json"));
        Path config = dir.resolve("smtcheck.conf");
        Files.writeString(config, "# test\nthreshold=3600\nmodel-dir=" + models + "\nmin-gain=0.05\n");
        listen(dir.resolve("notify.sock"));
        start(dir.resolve("notify.sock"), config, "--interval", "0.5");

        String ready = next(90);
        assertTrue(ready.lines().anyMatch("READY=1"::equals), ready);
        // At the moment systemd hears READY=1, the control socket answers.
        JsonNode s = status();
        assertEquals(daemon.pid(), s.path("pid").asLong());

        // The effective configuration, with where each value came from.
        JsonNode settings = s.path("config").path("settings");
        assertEquals(config.toString(), s.path("config").path("file").asText(), s.toString());
        assertEquals("3600", settings.path("threshold").path("value").asText());
        assertEquals(config + ":2", settings.path("threshold").path("from").asText());
        assertEquals(config + ":4", settings.path("min-gain").path("from").asText());
        assertEquals("0.5", settings.path("interval").path("value").asText());
        assertEquals("command line", settings.path("interval").path("from").asText());
        assertEquals("default", settings.path("no-restore").path("from").asText());
        assertEquals("false", settings.path("verbose").path("value").asText());
        assertTrue(s.path("model").asText().endsWith("prediction_model_20250101T000000Z.json"), s.toString());
        assertTrue(log().contains("configuration: " + config + ", threshold=3600 (" + config + ":2)"), log());
        StringWriter human = new StringWriter();
        assertEquals(0, Main.execute(new String[] {"status", "--socket", dir.resolve("run/control.sock").toString()},
                new PrintWriter(human, true), new PrintWriter(new StringWriter(), true)));
        assertTrue(human.toString().contains("config:   " + config + " (SIGHUP reloads: verbose;"), human.toString());
        assertTrue(human.toString().lines().anyMatch(l -> l.matches("  threshold +3600 +" + Pattern.quote(config + ":2"))),
                human.toString());

        // SIGHUP: a new model is taken at once; verbose applies; min-gain waits for a restart.
        Files.copy(shipped, models.resolve("prediction_model_20250601T000000Z.json"));
        Files.writeString(config, "# test\nverbose=true\nthreshold=3600\nmodel-dir=" + models + "\nmin-gain=0.5\n");
        signal(daemon, "HUP");
        assertTrue(next(30).startsWith("RELOADING=1\nMONOTONIC_USEC="));
        assertTrue(next(30).lines().anyMatch("READY=1"::equals));
        s = status();
        assertTrue(s.path("model").asText().endsWith("prediction_model_20250601T000000Z.json"), s.toString());
        settings = s.path("config").path("settings");
        assertEquals("true", settings.path("verbose").path("value").asText(), s.toString());
        assertEquals(config + ":2", settings.path("verbose").path("from").asText());
        assertEquals("0.05", settings.path("min-gain").path("value").asText());
        assertEquals("0.5", settings.path("min-gain").path("atRestart").asText());
        assertEquals(config + ":5", settings.path("min-gain").path("atRestartFrom").asText());
        assertEquals(config + ":3", settings.path("threshold").path("from").asText(), "moved a line down");
        assertEquals(0.05, s.path("minGain").asDouble(), "min-gain needs a restart");
        assertTrue(log().contains("configuration: min-gain changed to 0.5 (" + config + ":5): takes effect at restart"),
                log());

        // A file that no longer reads: logged, everything stays, and the daemon keeps serving.
        Files.writeString(config, "treshold=60\n");
        signal(daemon, "HUP");
        assertTrue(next(30).startsWith("RELOADING=1"));
        assertTrue(next(30).lines().anyMatch("READY=1"::equals));
        assertTrue(daemon.isAlive());
        assertEquals("true", status().path("config").path("settings").path("verbose").path("value").asText());
        assertTrue(log().contains("reload: " + config + ":1: unknown setting \"treshold\" (did you mean \"threshold\"?);"
                + " the running configuration stays"), log());

        // A value of the right type out of range is refused at reload as it would be at start.
        Files.writeString(config, "\nthreshold=0\n");
        signal(daemon, "HUP");
        assertTrue(next(30).startsWith("RELOADING=1"));
        assertTrue(next(30).lines().anyMatch("READY=1"::equals));
        assertEquals("3600", status().path("config").path("settings").path("threshold").path("value").asText());
        assertFalse(status().path("config").path("settings").path("threshold").has("atRestart"));
        assertTrue(log().contains("reload: " + config + ":2: threshold must be at least 1 second, not 0;"
                + " the running configuration stays"), log());

        signal(daemon, "TERM");
        assertEquals("STOPPING=1", next(30));
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), log());
        assertEquals(143, daemon.exitValue(), log());
        assertFalse(Files.exists(dir.resolve("run/control.sock")));
    }

    @Test
    void aHangupIgnoredByTheParentIsSaidNotSilentlyLost() throws Exception {
        Path config = dir.resolve("smtcheck.conf");
        Files.writeString(config, "threshold=3600\n");
        listen(dir.resolve("notify.sock"));
        start(List.of("env", "--ignore-signal=HUP"), dir.resolve("notify.sock"), config);
        assertTrue(next(90).lines().anyMatch("READY=1"::equals));
        assertTrue(log().contains("SIGHUP was ignored when the daemon started (by nohup or its parent): it stays"
                + " ignored, so a change of the configuration file or the model directory takes a restart"), log());
        signal(daemon, "HUP");
        Thread.sleep(1000);
        assertTrue(daemon.isAlive(), "an ignored SIGHUP ends nothing: " + log());
        assertFalse(log().contains("reloading"), log());
        signal(daemon, "TERM");
        assertEquals("STOPPING=1", next(30));
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), log());
    }

    @Test
    void notificationsReachAnAbstractSocket() throws Exception {
        String name = "smtcheck-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagramChannel channel = UnixDatagramChannel.open()) {
            channel.bind(new UnixSocketAddress("\0" + name));
            new SystemdNotifier("@" + name).send("READY=1\nSTATUS=test");
            ByteBuffer buf = ByteBuffer.allocate(256);
            assertNotNull(channel.receive(buf));
            buf.flip();
            assertEquals("READY=1\nSTATUS=test", StandardCharsets.UTF_8.decode(buf).toString());
        }
    }

    @Test
    void withoutNotifySocketNothingIsSentAndNothingFails() {
        new SystemdNotifier(null).send("READY=1");
        new SystemdNotifier("").send("READY=1");
        new SystemdNotifier(dir.resolve("nobody-listens.sock").toString()).send("READY=1");
    }
}
