// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.ObservedSlowdowns;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.profiles.StoreSettings;
import io.smtcheck.profiling.CoRunObserver;
import io.smtcheck.profiling.CounterSource;
import io.smtcheck.profiling.MachineIdentity;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's online learning (docs/learning.md): at every interval, under the daemon's lock,
 * the managed groups' hardware counts go to a {@link CoRunObserver}, which corrects the score
 * table's observed pairs and says when a re-plan is worth it; the samples it hands out are written
 * to the store by one thread of their own, so that the lock never waits for the store.
 *
 * <p>At start another thread reads back what earlier daemons observed on this machine (its
 * history), until the store answers; the loop adds it to the observations once it has arrived.
 * Only samples that ended before this daemon started are read, so none that it writes itself is
 * counted twice.
 */
final class Learning implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Learning.class);
    /** A pair's run is written to the store at least this often while it lasts. */
    static final double SAMPLE_SECONDS = 600;
    /** The least time between two re-plans that observations ask for. */
    static final double REPLAN_SECONDS = 60;
    /** Batches of samples waiting for the store; beyond this (a long outage) new ones are dropped and counted. */
    private static final int QUEUED_BATCHES = 256;
    /**
     * How far back the history goes: a week spans a restart after a weekend's maintenance, while
     * older observations may be of jobs that have changed since (a new build, new inputs).
     */
    static final Duration HISTORY = Duration.ofDays(7);
    /**
     * The most samples of the history read: some 3 MB, read in about a second in the background
     * (BENCHMARKS.md). A
     * week of 20 pairs sampled every 10 minutes fits (20 × 144 × 7 = 20 160); a larger host keeps
     * the newest, and a pair weighs 91 % observation after 50 minutes already.
     */
    static final int HISTORY_SAMPLES = 20_000;
    /** The pause before reading the history again after the store failed; doubled up to {@link #HISTORY_RETRY_MAX}. */
    private static final Duration HISTORY_RETRY = Duration.ofSeconds(1);
    private static final Duration HISTORY_RETRY_MAX = Duration.ofMinutes(1);

    private final CoRunObserver observer;
    private final String machine;
    /** The samples of earlier daemons end before this. */
    private final Instant startedAt = Instant.now();
    private final ProfileSource profiles;
    private final ThreadPoolExecutor writer;
    private final java.util.concurrent.atomic.AtomicLong unwritten = new java.util.concurrent.atomic.AtomicLong();
    /** The last failure logged as a warning: the same one again (a read-only store) is logged at debug. */
    private String lastFailure;
    /** The history as read, until the loop takes it. */
    private final AtomicReference<ProfileSource.ObservedHistory> history = new AtomicReference<>();
    private Thread historyReader;
    /** Set at close; the history reader waits on it between attempts. */
    private final CountDownLatch closing = new CountDownLatch(1);

    Learning(Topology topology, ProfileSource profiles) {
        this.machine = MachineIdentity.of(topology).id();
        this.observer = new CoRunObserver(topology, machine, SAMPLE_SECONDS, REPLAN_SECONDS);
        this.profiles = profiles;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUED_BATCHES), r -> {
            Thread t = new Thread(r, "observed-samples");
            t.setDaemon(true);
            return t;
        });
    }

    /** The observations the daemon's score table learns from. */
    static ObservedSlowdowns observations() {
        return new ObservedSlowdowns(ObservedSlowdowns.DEFAULT_TRUST_SECONDS);
    }

    /** Starts reading the history in the background; once. */
    void readHistory() {
        if (historyReader != null) {
            return;
        }
        historyReader = new Thread(this::read, "observed-history");
        historyReader.setDaemon(true);
        historyReader.start();
    }

    /** Reads the history until the store answers or the daemon stops; the loop takes it ({@link #takeHistory}). */
    private void read() {
        Duration pause = HISTORY_RETRY;
        String failure = null;
        while (closing.getCount() > 0) {
            try {
                Optional<ProfileSource.ObservedHistory> read = profiles.observedHistory(machine,
                        startedAt.minus(HISTORY), startedAt, HISTORY_SAMPLES);
                if (read.isEmpty()) {
                    LOG.debug("observed slowdowns: {} keeps none to load", profiles.describe());
                } else {
                    logHistory(read.get());
                    history.set(read.get());
                }
                return;
            } catch (IOException | RuntimeException e) {
                if (!String.valueOf(e.getMessage()).equals(failure)) {
                    failure = String.valueOf(e.getMessage());
                    LOG.info("observed slowdowns of earlier runs not loaded yet ({}); the daemon goes on from the"
                            + " model's scores and tries again", failure);
                } else {
                    LOG.debug("observed slowdowns of earlier runs not loaded yet ({})", failure);
                }
            }
            try {
                if (closing.await(pause.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            pause = StoreSettings.nextBackoff(pause, HISTORY_RETRY_MAX);
        }
    }

    private void logHistory(ProfileSource.ObservedHistory h) {
        if (h.samples().isEmpty() && h.otherWorkloads() == 0 && h.skipped().isEmpty()) {
            LOG.info("observed slowdowns: none of earlier runs on machine {} since {} in {}", machine,
                    startedAt.minus(HISTORY), profiles.describe());
            return;
        }
        Set<List<Integer>> pairs = new HashSet<>();
        double seconds = 0;
        for (ObservedSample s : h.samples()) {
            pairs.add(List.of(Math.min(s.jobA(), s.jobB()), Math.max(s.jobA(), s.jobB())));
            seconds += s.seconds();
        }
        LOG.info("observed slowdowns: loaded {} pairs, {} s observed ({} samples of machine {} since {}) from {}{}{}",
                pairs.size(), Math.round(seconds), h.samples().size(), machine, startedAt.minus(HISTORY),
                profiles.describe(), h.otherWorkloads() == 0 ? ""
                        : "; " + h.otherWorkloads() + " samples of jobs without a profile left out",
                h.skipped().isEmpty() ? "" : "; " + h.skipped().size() + " invalid documents skipped, the first: "
                        + h.skipped().get(0));
    }

    /**
     * Adds the history, once it has arrived, to {@code table}'s observations, and rescores its
     * pairs; under the daemon's lock. Returns whether a score changed enough to re-plan.
     */
    boolean takeHistory(ScoreTable table) {
        ProfileSource.ObservedHistory h = history.getAndSet(null);
        if (h == null) {
            return false;
        }
        ObservedSlowdowns observations = table.observations();
        Set<List<String>> pairs = new HashSet<>();
        for (ObservedSample s : h.samples()) {
            String a = ObservedSlowdowns.workloadOf(s.jobA());
            String b = ObservedSlowdowns.workloadOf(s.jobB());
            observations.add(a, b, s.slowdownA(), s.slowdownB(), s.seconds());
            pairs.add(List.of(a, b));
        }
        double change = 0;
        for (List<String> p : pairs) {
            change = Math.max(change, table.rescore(p.get(0), p.get(1)));
        }
        return change >= CoRunObserver.RESCORED;
    }

    /**
     * One round over the managed groups, whose counters were read at or after {@code roundStart}
     * (System.nanoTime); {@code paused} while an in-situ profile borrows a core (its injectors
     * would pass for an idle sibling). Returns whether to re-plan. Under the daemon's lock.
     */
    boolean observe(DaemonState state, ScoreTable table, long roundStart, boolean paused) {
        List<CoRunObserver.Group> groups = new ArrayList<>();
        if (!paused) {
            for (ManagedGroup g : state.groups.values()) {
                groups.add(group(g, roundStart));
            }
        }
        CoRunObserver.Round round = observer.observe(groups, table, Instant.now());
        if (!round.samples().isEmpty()) {
            write(round.samples());
        }
        return round.replan();
    }

    private static CoRunObserver.Group group(ManagedGroup g, long roundStart) {
        List<Integer> on = g.pin.applied();
        boolean placed = on != null && on.equals(g.expected);
        boolean hardware = g.lastCounters != null && g.lastCounters.hardware();
        // One worker a CPU: with more workers than CPUs they would share them, and no CPU's sibling is one worker's.
        boolean observable = hardware && placed && on.size() == g.workers && g.reportedWorkers <= g.workers;
        Optional<CounterSource.Reading> reading = g.countedAt - roundStart >= 0
                ? Optional.of(new CounterSource.Reading(g.lastCounters.instructions(), g.lastCounters.cycles(), g.countedAt))
                : Optional.empty();
        return new CoRunObserver.Group(g.pgid, g.jobId, placed ? on : List.of(), observable,
                g.profile == null ? Double.NaN : g.profile.singleIpc(), reading);
    }

    private void write(List<ObservedSample> samples) {
        try {
            writer.execute(() -> {
                try {
                    profiles.storeObserved(samples);
                } catch (IOException | RuntimeException e) {
                    unwritten.addAndGet(samples.size());
                    if (e.getMessage() != null && e.getMessage().equals(lastFailure)) {
                        LOG.debug("{} observed samples not written: {}", samples.size(), e.getMessage());
                    } else {
                        lastFailure = e.getMessage();
                        LOG.warn("{} observed samples not written: {}", samples.size(), e.getMessage());
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            unwritten.addAndGet(samples.size());
        }
    }

    CoRunObserver.Discards discards() {
        return observer.discards();
    }

    /** Observed samples that the store did not take. */
    long unwritten() {
        return unwritten.get();
    }

    /** Writes every pair's run as it stands, as the daemon stops; under the daemon's lock, before {@link #close()}. */
    void endRuns() {
        List<ObservedSample> samples = observer.endRuns(Instant.now());
        if (!samples.isEmpty()) {
            write(samples);
        }
    }

    @Override
    public void close() {
        closing.countDown();
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
