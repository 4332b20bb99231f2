// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.Profile;
import io.smtcheck.profiles.MongoGateway;
import io.smtcheck.profiles.OriginalProfileData;
import io.smtcheck.profiles.ProfileReader;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.ProfilingRequests;
import io.smtcheck.profiles.ProfilingServerClient;
import io.smtcheck.profiles.RequestCollection;
import io.smtcheck.profiles.StoreHealth;
import io.smtcheck.profiles.StoreSettings;
import io.smtcheck.profiles.StoreUnavailableException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The profile store as the daemon uses it. Lookups answer from one cache of profiles and never
 * wait for MongoDB; one background thread does all of the talking: it loads every profile at start
 * and every {@link StoreSettings#refreshInterval()}, looks up the jobs that missed the cache, and
 * files profiling requests. Work that fails (MongoDB down, a full disk) stays queued and is tried
 * again with backoff, each item on its own, so no request is lost to an outage and none waits
 * behind another. The store may be smtcheck's own or the original SMTcheck's (read through the
 * same {@link ProfileReader}); requests go to the store, or to the original's profiling server.
 */
final class StoreProfileSource implements ProfileSource {
    private static final Logger LOG = LoggerFactory.getLogger(StoreProfileSource.class);
    /** How long {@link #close()} waits for a lookup under way to end. */
    private static final long STOP_WAIT_MS = 15_000;

    /** The cache: the list keeps its identity until its contents change, so that callers can tell. */
    private record Cache(List<Profile> all, Map<Integer, Profile> byJob) {
        static Cache of(List<Profile> all) {
            Map<Integer, Profile> byJob = new HashMap<>();
            all.forEach(p -> byJob.put(p.jobId(), p));
            return new Cache(all, Map.copyOf(byJob));
        }
    }

    /** A job to look up; with a name, also to request profiling for when it has no profile. */
    private static final class Wanted {
        String requestFor;
        /** Whether to look for a profile before filing: not when the store could not answer the daemon's lookup. */
        boolean lookFirst = true;
    }

    private final ProfileStore store;
    private final ProfileReader profiles;
    private final ProfilingRequests requests;
    private final StoreSettings settings;
    private final Thread worker;

    private volatile Cache cache = Cache.of(List.of());
    /** Guarded by this. */
    private final Map<Integer, Wanted> wanted = new LinkedHashMap<>();
    private long nextRefreshNanos;
    private long retryAtNanos;
    private Duration retryPause;
    private boolean closed;
    /** Why the store cannot be read as asked (an unknown node), since when, and how many reloads it failed. */
    private String refreshProblem;
    private Instant refreshProblemSince;
    private long refreshProblems;

    /** Loads the profiles once (one attempt: the daemon starts without them when MongoDB is down), then works in the background. */
    StoreProfileSource(ProfileStore store) {
        this(store, null);
    }

    /**
     * @param profilingServer where to send profiling requests (the original SMTcheck's profiling
     *                        server), or null to file them in the store
     */
    StoreProfileSource(ProfileStore store, ProfilingServerClient.Address profilingServer) {
        this.store = store;
        this.settings = store.gateway().settings();
        this.profiles = store.profileReader(MongoGateway.Patience.ONCE);
        this.requests = profilingServer == null ? store.profilingRequests(MongoGateway.Patience.ONCE)
                : new ProfilingServerClient(profilingServer, settings, job -> cache.byJob().containsKey(job),
                        job -> refreshSoon());
        this.retryPause = settings.firstBackoff();
        this.nextRefreshNanos = System.nanoTime();
        this.retryAtNanos = nextRefreshNanos;
        refresh();
        this.worker = new Thread(this::work, "profile-store");
        worker.setDaemon(true);
        worker.start();
    }

    @Override
    public Optional<Profile> byJob(int jobId) {
        Profile p = cache.byJob().get(jobId);
        if (p != null) {
            return Optional.of(p);
        }
        synchronized (this) {
            if (wanted.putIfAbsent(jobId, new Wanted()) == null) {
                notifyAll();
            }
        }
        return Optional.empty();
    }

    @Override
    public List<Profile> all() {
        return cache.all();
    }

    @Override
    public synchronized void requestProfile(int jobId, String name) {
        wanted.computeIfAbsent(jobId, j -> new Wanted()).requestFor = name;
        notifyAll();
    }

    @Override
    public void store(Profile profile) throws IOException {
        try {
            store.putProfile(profile);
        } catch (RuntimeException e) {
            throw new IOException(store.where() + ": " + e.getMessage(), e);
        }
        synchronized (this) {
            nextRefreshNanos = System.nanoTime();
            notifyAll();
        }
    }

    @Override
    public void storeObserved(List<ObservedSample> samples) throws IOException {
        try {
            store.addObservedSamples(samples);
        } catch (RuntimeException e) {
            throw new IOException(store.where() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<ObservedHistory> observedHistory(String machine, Instant from, Instant before, int newest)
            throws IOException {
        if (store.isOriginal()) {
            LOG.info("observed slowdowns: none to load, the original SMTcheck's store at {} keeps none (it is read,"
                    + " never written); the daemon starts from the model's scores and learns in memory only",
                    store.where());
            return Optional.empty();
        }
        try {
            // The workloads the model scores: a job id that names no profile names no workload that comes back.
            Set<Integer> profiled = new HashSet<>();
            store.readAllProfiles().items().forEach(p -> profiled.add(p.jobId()));
            ProfileStore.Loaded<ObservedSample> read = store.recentObservedSamples(machine, from, before, newest);
            List<ObservedSample> ours = read.items().stream()
                    .filter(s -> profiled.contains(s.jobA()) && profiled.contains(s.jobB())).toList();
            return Optional.of(new ObservedHistory(ours, read.items().size() - ours.size(), read.skipped()));
        } catch (RuntimeException e) {
            throw new IOException(store.where() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return store.where();
    }

    @Override
    public StoreHealth health() {
        StoreHealth reached = store.health();
        synchronized (this) {
            if (refreshProblem == null || !reached.ok()) {
                return reached;
            }
            // MongoDB answers, but not with what the daemon needs: that is the store failing too.
            return new StoreHealth(false, refreshProblemSince, refreshProblem, reached.errors() + refreshProblems);
        }
    }

    /** Stops the background work, gives the requests still queued one last try, and closes the store. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            notifyAll();
        }
        try {
            worker.join(STOP_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!worker.isAlive()) {
            workOnce(true);
        }
        requests.close();
        synchronized (this) {
            wanted.values().stream().filter(w -> w.requestFor != null).forEach(w -> LOG.warn(
                    "profiling request for {} not filed: {} did not take it before the daemon stopped", w.requestFor,
                    store.where()));
        }
        store.close();
    }

    private void work() {
        while (true) {
            synchronized (this) {
                long waitNs;
                while (!closed && (waitNs = untilDue()) > 0) {
                    try {
                        wait(Math.max(1, waitNs / 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
            }
            boolean refreshDue;
            synchronized (this) {
                refreshDue = System.nanoTime() - nextRefreshNanos >= 0;
            }
            // The jobs first: a lookup may be what tells the daemon that the store is down.
            boolean ok = workOnce(false);
            ok &= !refreshDue || refresh();
            synchronized (this) {
                if (ok) {
                    retryPause = settings.firstBackoff();
                    retryAtNanos = System.nanoTime();
                } else {
                    Duration circuit = store.gateway().untilNextAttempt();
                    Duration pause = circuit.compareTo(retryPause) > 0 ? circuit : retryPause;
                    retryAtNanos = System.nanoTime() + pause.toNanos();
                    retryPause = settings.nextBackoff(retryPause);
                }
            }
        }
    }

    /** Nanoseconds until there is something to do; zero or less when now. */
    private long untilDue() {
        long now = System.nanoTime();
        long untilWork = wanted.isEmpty() ? nextRefreshNanos - now : Math.min(nextRefreshNanos - now, 0);
        return Math.max(untilWork, retryAtNanos - now);
    }

    /** Reloads every profile; false (the cache kept, the reload due again) when MongoDB did not answer. */
    private boolean refresh() {
        try {
            List<Profile> fresh = profiles.readAll().items();
            synchronized (this) {
                if (!fresh.equals(cache.all())) {
                    cache = Cache.of(fresh);
                }
                nextRefreshNanos = System.nanoTime() + settings.refreshInterval().toNanos();
                refreshProblem = null;
            }
            return true;
        } catch (StoreUnavailableException e) {
            LOG.debug("profiles not loaded: {}", e.getMessage());
            return false;
        } catch (OriginalProfileData.NodeException e) {
            // The store cannot be read as asked (the original's, without a node to read): said once, tried again.
            synchronized (this) {
                if (!e.getMessage().equals(refreshProblem)) {
                    LOG.warn("profiles not loaded from {}: {}", store.where(), e.getMessage());
                    if (refreshProblem == null) {
                        refreshProblemSince = Instant.now();
                    }
                    refreshProblem = e.getMessage();
                }
                refreshProblems++;
            }
            return false;
        } catch (RuntimeException e) {
            LOG.warn("profiles not loaded from {}: {}", store.where(), e.toString());
            return false;
        }
    }

    /**
     * Looks up each wanted job and files its profiling request; false when some of it failed (it
     * stays queued). The last try at stop files requests without looking first.
     */
    private boolean workOnce(boolean last) {
        List<Map.Entry<Integer, Wanted>> todo;
        synchronized (this) {
            todo = new ArrayList<>(wanted.entrySet());
        }
        boolean ok = true;
        for (Map.Entry<Integer, Wanted> e : todo) {
            int job = e.getKey();
            Wanted w = e.getValue();
            if (last && w.requestFor == null) {
                continue;
            }
            if (cache.byJob().containsKey(job)) {
                synchronized (this) {
                    wanted.remove(job, w); // a reload brought it
                }
                continue;
            }
            try {
                String requestFor;
                boolean lookFirst;
                synchronized (this) {
                    requestFor = w.requestFor;
                    lookFirst = w.lookFirst && !last;
                }
                if (requestFor == null || lookFirst) {
                    Optional<Profile> found = profiles.find(job);
                    if (found.isPresent()) {
                        add(found.get());
                        synchronized (this) {
                            wanted.remove(job, w); // a job with a profile needs no profiling
                        }
                        continue;
                    }
                }
                if (requestFor != null) {
                    RequestCollection.Outcome outcome = requests.file(job);
                    LOG.info("profiling request for job {} ({}): {}", job, requestFor, outcome);
                }
                done(job, w, requestFor);
            } catch (StoreUnavailableException ex) {
                synchronized (this) {
                    // The daemon found no profile, and the store cannot say otherwise: the request stands.
                    w.lookFirst = false;
                }
                LOG.debug("job {}: {}", job, ex.getMessage());
                ok = false;
            } catch (OriginalProfileData.NodeException ex) {
                LOG.debug("job {}: {}", job, ex.getMessage()); // said by the refresh; kept until it can be read
                ok = false;
            } catch (IllegalArgumentException ex) {
                LOG.warn("profiling request for job {} dropped: {}", job, ex.getMessage());
                synchronized (this) {
                    wanted.remove(job, w);
                }
            } catch (RuntimeException ex) {
                // Not an outage, but not the request's fault either: kept, and tried again with backoff.
                LOG.warn("job {}: the profile store at {} failed: {}", job, store.where(), ex.toString());
                ok = false;
            }
        }
        return ok;
    }

    /** Reads every profile again soon: a job's profiling has just finished. */
    private synchronized void refreshSoon() {
        nextRefreshNanos = System.nanoTime();
        retryAtNanos = Math.min(retryAtNanos, nextRefreshNanos);
        notifyAll();
    }

    /** Forgets a job's work, unless it was asked for a request since its lookup began. */
    private synchronized void done(int job, Wanted w, String requestFor) {
        if (wanted.get(job) == w && Objects.equals(w.requestFor, requestFor)) {
            wanted.remove(job);
        }
    }

    private synchronized void add(Profile p) {
        List<Profile> all = new ArrayList<>(cache.all());
        all.removeIf(q -> q.jobId() == p.jobId());
        all.add(p);
        all.sort(Comparator.comparingInt(Profile::jobId));
        cache = Cache.of(List.copyOf(all));
    }
}
