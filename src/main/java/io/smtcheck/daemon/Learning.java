// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.ObservedSlowdowns;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.profiling.CoRunObserver;
import io.smtcheck.profiling.CounterSource;
import io.smtcheck.profiling.MachineIdentity;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's online learning (docs/learning.md): at every interval, under the daemon's lock,
 * the managed groups' hardware counts go to a {@link CoRunObserver}, which corrects the score
 * table's observed pairs and says when a re-plan is worth it; the samples it hands out are written
 * to the store by one thread of their own, so that the lock never waits for the store.
 */
final class Learning implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Learning.class);
    /** A pair's run is written to the store at least this often while it lasts. */
    static final double SAMPLE_SECONDS = 600;
    /** The least time between two re-plans that observations ask for. */
    static final double REPLAN_SECONDS = 60;
    /** Batches of samples waiting for the store; beyond this (a long outage) new ones are dropped and counted. */
    private static final int QUEUED_BATCHES = 256;

    private final CoRunObserver observer;
    private final ProfileSource profiles;
    private final ThreadPoolExecutor writer;
    private final java.util.concurrent.atomic.AtomicLong unwritten = new java.util.concurrent.atomic.AtomicLong();
    /** The last failure logged as a warning: the same one again (a read-only store) is logged at debug. */
    private String lastFailure;

    Learning(Topology topology, ProfileSource profiles) {
        this.observer = new CoRunObserver(topology, MachineIdentity.of(topology).id(), SAMPLE_SECONDS, REPLAN_SECONDS);
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

    /** The group beside {@code pgid} as the last round saw it. */
    Optional<Integer> partner(int pgid) {
        return observer.partner(pgid);
    }

    CoRunObserver.Discards discards() {
        return observer.discards();
    }

    /** Observed samples that the store did not take. */
    long unwritten() {
        return unwritten.get();
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
