// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Profiling requests to the original SMTcheck's profiling server, against a real TCP peer that speaks its protocol. */
class ProfilingServerClientTest {
    private static final StoreSettings QUICK = new StoreSettings(Duration.ofMillis(300), Duration.ofMillis(50),
            Duration.ofMillis(200), 2, Duration.ofMinutes(10));

    private final List<Integer> completed = new CopyOnWriteArrayList<>();
    private ProfilingServerClient client;
    private FakeProfilingServer server;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void asksOnceWhileTheServerIsDownAndAgainWhenItIsUp() throws Exception {
        int port = FakeProfilingServer.freePort();
        client = new ProfilingServerClient(new ProfilingServerClient.Address("127.0.0.1", port), QUICK, j -> false,
                completed::add);
        assertEquals(RequestCollection.Outcome.FILED, client.file(5));
        assertEquals(RequestCollection.Outcome.ALREADY_FILED, client.file(5));
        Thread.sleep(400); // several refused connections, with backoff
        assertEquals(Set.of(5), client.underWay());

        server = new FakeProfilingServer(port);
        FakeProfilingServer.Request r = server.next(30);
        assertNotNull(r, "the request reached the server once it was up");
        assertEquals("5", r.jobId);
        assertEquals(RequestCollection.Outcome.ALREADY_FILED, client.file(5), "waiting for its reply: not asked again");
        Thread.sleep(200);
        assertTrue(completed.isEmpty(), "not done before the reply");
        r.complete();
        await("the completion", () -> completed.equals(List.of(5)));
        assertEquals(Set.of(), client.underWay());
        assertEquals(RequestCollection.Outcome.ALREADY_FILED, client.file(5), "profiled: not asked again");
        assertNull(server.next(1));
        assertEquals(List.of("5"), server.received());
    }

    @Test
    void aServerThatClosesWithoutReplyingIsAskedAgain() throws Exception {
        server = new FakeProfilingServer(0);
        client = new ProfilingServerClient(server.address(), QUICK, j -> false, completed::add);
        client.file(7);
        server.next(30).drop();
        FakeProfilingServer.Request again = server.next(30);
        assertNotNull(again, "asked again after the server closed without replying");
        assertEquals("7", again.jobId);
        again.complete();
        await("the completion", () -> completed.equals(List.of(7)));
        assertEquals(List.of("7", "7"), server.received());
    }

    @Test
    void aJobWhoseProfileTurnsUpMeanwhileIsNotAskedAgain() throws Exception {
        server = new FakeProfilingServer(0);
        AtomicBoolean profiled = new AtomicBoolean();
        client = new ProfilingServerClient(server.address(), QUICK, j -> profiled.get(), completed::add);
        client.file(9);
        FakeProfilingServer.Request r = server.next(30);
        profiled.set(true);
        r.drop();
        assertNull(server.next(1), "not asked again");
        await("the request to end", () -> client.underWay().isEmpty());
        assertTrue(completed.isEmpty());
    }

    @Test
    void addressesAreHostColonPort() {
        assertEquals(new ProfilingServerClient.Address("10.0.0.2", 8080), ProfilingServerClient.Address.parse("10.0.0.2:8080"));
        assertEquals(new ProfilingServerClient.Address("::1", 8080), ProfilingServerClient.Address.parse("[::1]:8080"));
        assertEquals("'host' is not HOST:PORT", assertThrows(IllegalArgumentException.class,
                () -> ProfilingServerClient.Address.parse("host")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProfilingServerClient.Address.parse("h:0"))
                .getMessage().contains("not in 1..65535"));
        assertThrows(IllegalArgumentException.class, () -> client().file(-1));
    }

    private ProfilingServerClient client() {
        client = new ProfilingServerClient(new ProfilingServerClient.Address("127.0.0.1", 1), QUICK, j -> false, j -> { });
        return client;
    }
}
