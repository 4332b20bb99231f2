// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy of in-situ profiles: how many at once, which cores, and that nothing waits for them. */
class InSituProfilingTest {
    /** Four cores of two CPUs: 0,4 1,5 2,6 3,7. */
    static final Topology TOPOLOGY = Topology.shape(List.of(List.of(0, 4), List.of(1, 5), List.of(2, 6), List.of(3, 7)));
    static final Set<Integer> ALL = Set.of(0, 1, 2, 3, 4, 5, 6, 7);

    @TempDir
    Path dir;

    /** A simulated core whose clock moves only when the test lets it: profiles stay running meanwhile. */
    static final class Gated implements CounterSource {
        final SimulatedMachine machine = InSituProfilerTest.machine(0.005, 1);
        final Semaphore steps = new Semaphore(0);

        @Override
        public Optional<Reading> read(int pgid) {
            return machine.read(pgid);
        }

        @Override
        public RunningInjector startInjector(String resource, int cpu, double intensity) throws IOException {
            return machine.startInjector(resource, simulated(cpu), intensity);
        }

        void place(int pgid, int cpu) {
            machine.place(pgid, simulated(cpu));
        }

        /** The topology's first CPU of a core is the simulated core's 0, the other its 1. */
        static int simulated(int cpu) {
            return cpu < 4 ? 0 : 1;
        }

        @Override
        public void sleep(double seconds) throws InterruptedException {
            steps.acquire();
            machine.sleep(seconds);
        }
    }

    InSituProfiler.Request request(int pgid, List<Integer> cpus) {
        return new InSituProfiler.Request(pgid, pgid, "job" + pgid, null, 1, List.of("/bin/job"), "/srv", cpus.get(0),
                cpus.get(1), InSituProfilerTest.MACHINE, InSituProfilerTest.INJECTORS);
    }

    @Test
    void halfTheCoresByDefault() {
        assertEquals(2, InSituProfiling.Policy.halfTheCores(TOPOLOGY, ALL).maxAtOnce());
        assertEquals(1, InSituProfiling.Policy.halfTheCores(Topology.shape(List.of(List.of(0, 1))), Set.of(0, 1)).maxAtOnce());
    }

    @Test
    void atMostNAtOnceOnCoresThatAreUsableAndFreeEachBorrowingOne() throws Exception {
        // CPU 1 is excluded by the operator, CPU 2 runs a managed group: cores 1,5 and 2,6 are never borrowed.
        InSituProfiling.Policy policy = new InSituProfiling.Policy(2, Set.of(0, 2, 3, 4, 5, 6, 7));
        BlockingQueue<InSituProfiling.Outcome> ended = new LinkedBlockingQueue<>();
        try (InSituProfiling p = new InSituProfiling(TOPOLOGY, policy, InSituProfilerTest.FAST, dir)) {
            Gated a = new Gated();
            Gated b = new Gated();
            Set<Integer> busy = Set.of(2);
            assertEquals(Optional.empty(), p.start(10, 10, busy, Set.of(), a, cpus -> request(10, cpus), a::place,
                    ended::add));
            assertEquals(Optional.of("job 10 is being profiled already"), p.start(11, 10, busy, Set.of(), b,
                    cpus -> request(11, cpus), b::place, ended::add));
            assertEquals(Optional.empty(), p.start(12, 12, busy, Set.of(), b, cpus -> request(12, cpus), b::place,
                    ended::add));
            assertEquals(Optional.of("2 groups are being profiled, the most at once (the policy's limit)"),
                    p.start(13, 13, busy, Set.of(), new Gated(), cpus -> request(13, cpus), (g, c) -> { }, ended::add));
            List<InSituProfiling.Active> active = p.active();
            assertEquals(List.of(0, 4), active.get(0).cpus());
            assertEquals(List.of(3, 7), active.get(1).cpus());
            assertEquals(Set.of(0, 4, 3, 7), p.borrowed());
            assertEquals(24, active.get(0).done().total());

            a.steps.release(1000);
            InSituProfiling.Outcome done = ended.poll(10, TimeUnit.SECONDS);
            assertNotNull(done, "the first profile ends");
            assertEquals(10, done.pgid());
            assertNull(done.failure());
            assertEquals(0.6, done.result().profile().resources().get("int_port").sensitivity(),
                    InSituProfilerTest.TOLERANCE);
            assertEquals(List.of(3, 7), p.active().stream().map(InSituProfiling.Active::cpus).findFirst().orElseThrow());
            assertTrue(p.active().get(0).done().done() == 0, "the second waits for its clock");
            b.steps.release(1000);
            assertNotNull(ended.poll(10, TimeUnit.SECONDS));
            assertEquals(List.of(), p.active());
        }
    }

    @Test
    void noCoreToBorrowIsRefusedInOneLine() {
        try (InSituProfiling p = new InSituProfiling(TOPOLOGY, new InSituProfiling.Policy(4, Set.of(0, 1, 2, 3)),
                InSituProfilerTest.FAST, dir)) {
            assertEquals(Optional.of("no core has two CPUs that are usable and free to borrow"),
                    p.start(10, 10, Set.of(), Set.of(), new Gated(), cpus -> request(10, cpus), (g, c) -> { }, o -> { }));
        }
    }

    @Test
    void closingStopsProfilesAndTheirJournalsKeepWhatWasMeasured() throws Exception {
        BlockingQueue<InSituProfiling.Outcome> ended = new LinkedBlockingQueue<>();
        Gated a = new Gated();
        InSituProfiling p = new InSituProfiling(TOPOLOGY, InSituProfiling.Policy.halfTheCores(TOPOLOGY, ALL),
                InSituProfilerTest.FAST, dir);
        p.start(10, 10, Set.of(), Set.of(), a, cpus -> request(10, cpus), a::place, ended::add);
        a.steps.release(4); // two windows: the first of the injectors' and its warm-up, and the next one's
        while (p.active().get(0).done().done() < 2) {
            Thread.sleep(10);
        }
        p.close();
        InSituProfiling.Outcome o = ended.poll(10, TimeUnit.SECONDS);
        assertNotNull(o);
        assertTrue(o.failure() instanceof InSituProfiler.FailedException f && f.resumable(), String.valueOf(o.failure()));
        assertTrue(java.nio.file.Files.readString(dir.resolve("job-10.json")).contains("alone/int_port/0.5000"));
    }

    @Test
    void theCoreTheGroupRunsOnIsNotBorrowedButOnAMachineOfOneCore() throws Exception {
        try (InSituProfiling p = new InSituProfiling(TOPOLOGY, new InSituProfiling.Policy(1, ALL),
                InSituProfilerTest.FAST, dir)) {
            // The group runs on CPU 4, of the first core: the next free core is borrowed instead.
            Gated a = new Gated();
            assertEquals(Optional.empty(), p.start(10, 10, Set.of(), Set.of(4), a, cpus -> request(10, cpus), a::place,
                    o -> { }));
            assertEquals(List.of(1, 5), p.active().get(0).cpus());
        }
        try (InSituProfiling p = new InSituProfiling(TOPOLOGY, new InSituProfiling.Policy(1, ALL),
                InSituProfilerTest.FAST, dir)) {
            // Every other core busy: its own is refused, not borrowed with it there.
            assertEquals(Optional.of("no core other than the one group 10 runs on has two CPUs that are usable and"
                    + " free to borrow"), p.start(10, 10, Set.of(1, 2, 3), Set.of(0), new Gated(),
                    cpus -> request(10, cpus), (g, c) -> { }, o -> { }));
            assertEquals(List.of(), p.active());
        }
        Topology one = Topology.shape(List.of(List.of(0, 1)));
        try (InSituProfiling p = new InSituProfiling(one, new InSituProfiling.Policy(1, Set.of(0, 1)),
                InSituProfilerTest.FAST, dir)) {
            Gated a = new Gated();
            assertEquals(Optional.empty(), p.start(10, 10, Set.of(), Set.of(1), a, cpus -> request(10, cpus), a::place,
                    o -> { }), "no other core: the only one is borrowed");
            assertEquals(List.of(0, 1), p.active().get(0).cpus());
        }
    }

    @Test
    void aProfileStoppedDuringTheInjectorsWindowsEndsAtOnceWithoutMovingInAndKeepsItsJournal() throws Exception {
        BlockingQueue<InSituProfiling.Outcome> ended = new LinkedBlockingQueue<>();
        List<Integer> movedIn = new java.util.concurrent.CopyOnWriteArrayList<>();
        Gated a = new Gated();
        try (InSituProfiling p = new InSituProfiling(TOPOLOGY, InSituProfiling.Policy.halfTheCores(TOPOLOGY, ALL),
                InSituProfilerTest.FAST, dir)) {
            p.start(10, 10, Set.of(), Set.of(), a, cpus -> request(10, cpus), (g, c) -> movedIn.add(c), ended::add);
            a.steps.release(2); // one window of the injectors' and its warm-up; then its clock stops
            while (p.active().get(0).done().done() < 1) {
                Thread.sleep(10);
            }
            assertTrue(p.stop(10, "group 10 exited"));
            InSituProfiling.Outcome o = ended.poll(10, TimeUnit.SECONDS);
            assertNotNull(o, "ended without its clock moving again");
            assertTrue(o.failure() instanceof InSituProfiler.FailedException f && f.resumable(), String.valueOf(o.failure()));
            assertEquals("group 10 exited", o.failure().getMessage());
            assertEquals(List.of(), p.active());
            assertEquals(List.of(), movedIn, "never moved in");
            assertEquals(false, p.stop(10, "again"), "nothing runs to stop");
            assertTrue(java.nio.file.Files.readString(dir.resolve("job-10.json")).contains("alone/int_port/0.2500"));
        }
    }
}
