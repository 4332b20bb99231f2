// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.mongodb.ConnectionString;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoException;
import com.mongodb.MongoServerException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Updates;
import io.smtcheck.model.Baseline;
import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.Profile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The profile store: workload profiles, injector baselines, profiling requests and co-run samples
 * in MongoDB, through the official driver. It owns its {@link MongoClient} and, in embedded mode,
 * its {@link EmbeddedMongo} server; {@link #close()} releases both, once.
 *
 * <p>Collections (in the URI's database, default {@value #DEFAULT_DATABASE}), with the indexes
 * created at start (or at the first successful contact):
 * <ul>
 *   <li>{@code profiles}: {@link DataJson} profile form plus {@code updated_at}; unique {@code job_id}, unique {@code name};</li>
 *   <li>{@code injector_baselines}: baseline form plus {@code updated_at}; unique {@code resource};</li>
 *   <li>{@code profiling_requests}: {@code job_id, status ("pending", or "done" once a profile is
 *       written), first_requested_at, last_requested_at, requests, done_at}; unique {@code job_id}, so
 *       filing twice is one request;</li>
 *   <li>{@code corun_samples}: sample form; unique over all four fields, so importing twice adds nothing;</li>
 *   <li>{@code profiling_measurements}: {@code group, key, value, measured_at}: what profiling has
 *       measured so far, so that an interrupted run resumes; unique {@code (group, key)}.</li>
 * </ul>
 * A document that does not validate is skipped, reported in {@link #skipped()} and logged once;
 * it never fails a read.
 *
 * <p><b>Two kinds of methods.</b> The daemon's ({@link #profile}, {@link #profiles},
 * {@link #matching}, {@link #requestProfiling}, {@link #refresh}) never throw when MongoDB is down:
 * they answer from the cache of profiles, queue profiling requests to file later, and retry with
 * exponential backoff (a failed contact blocks further attempts for 0.5 s, then 1 s, 2 s, ... up to
 * 30 s by default), logging the outage once and the recovery once. The others (import, export,
 * samples, baselines, requests) are for commands: they retry {@link StoreSettings#attempts()}
 * times, then throw {@link StoreUnavailableException}.
 *
 * <p>Thread-safe.
 */
public final class ProfileStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProfileStore.class);

    public static final String DEFAULT_DATABASE = "smtcheck";
    static final String PROFILES = "profiles";
    static final String BASELINES = "injector_baselines";
    static final String REQUESTS = "profiling_requests";
    static final String SAMPLES = "corun_samples";
    static final String MEASUREMENTS = "profiling_measurements";
    private static final Set<String> STORE_FIELDS = Set.of("_id", "updated_at");

    /** What filing a profiling request did. */
    public enum RequestOutcome {
        /** A new request was filed. */
        FILED,
        /** A request for this job was already there: nothing changed but its count and time. */
        ALREADY_FILED,
        /** MongoDB is unreachable: the request is kept here and filed when it returns. */
        QUEUED
    }

    /** A document that was skipped because it does not validate. */
    public record Skipped(String collection, String id, String reason) {
        @Override
        public String toString() {
            return collection + " " + id + ": " + reason;
        }
    }

    /** Valid items read from a collection, and the documents skipped. */
    public record Loaded<T>(List<T> items, List<Skipped> skipped) {
    }

    /** Everything valid in the store, and the documents skipped. */
    public record Export(Dataset data, List<Skipped> skipped) {
    }

    /** A pending profiling request. */
    public record ProfilingRequest(int jobId, String status, Instant firstRequestedAt, Instant lastRequestedAt,
            int requests) {
    }

    /**
     * What an import did.
     *
     * @param conflicts entries refused by the database (a profile name taken by another job id),
     *                  one line each
     */
    public record ImportResult(int baselines, int profiles, int samplesAdded, int samplesAlreadyThere,
            List<String> conflicts) {
    }

    private final String where;
    private final String uri;
    private final MongoClient client;
    private final MongoDatabase db;
    private final EmbeddedMongo embedded;
    private final StoreSettings settings;

    private final Map<Integer, Profile> byJob = new ConcurrentHashMap<>();
    private volatile List<Profile> all = List.of();
    private volatile long loadedAtNanos;
    private volatile boolean everLoaded;
    private volatile List<Skipped> skipped = List.of();
    private final Set<String> reportedSkips = ConcurrentHashMap.newKeySet();
    private final Set<Integer> queuedRequests = ConcurrentHashMap.newKeySet();

    private final Object circuit = new Object();
    private boolean down;
    private long nextAttemptNanos;
    private Duration backoff;
    private volatile boolean indexesReady;
    private boolean closed;
    private final StoreErrors errors;
    /** Held open while the client lives when the socket's path has capitals; else null. */
    private final SocketDirectory socketDirectory;

    /** The embedded server could not write an acknowledged write to its file (a full disk): it is lost. */
    private static final class CommitFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CommitFailedException(String message) {
            super(message);
        }
    }

    private ProfileStore(String uri, String where, EmbeddedMongo embedded, StoreSettings settings) {
        ConnectionString cs;
        try {
            cs = new ConnectionString(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid MongoDB URI '" + redact(uri) + "': " + e.getMessage());
        }
        this.where = where;
        this.uri = uri;
        this.embedded = embedded;
        this.settings = settings;
        this.backoff = settings.firstBackoff();
        this.errors = new StoreErrors(LOG, where, Clock.systemUTC());
        if (cs.getHosts().stream().anyMatch(h -> h.endsWith(".sock"))) {
            loadUnixSockets();
        }
        this.socketDirectory = cs.getHosts().size() == 1 && cs.getHosts().get(0).endsWith(".sock")
                && SocketDirectory.needed(cs.getHosts().get(0)) ? SocketDirectory.open(cs.getHosts().get(0)) : null;
        long timeoutMs = settings.timeout().toMillis();
        MongoClientSettings clientSettings = MongoClientSettings.builder()
                .applyConnectionString(cs)
                .applyToClusterSettings(b -> {
                    b.serverSelectionTimeout(timeoutMs, TimeUnit.MILLISECONDS);
                    if (socketDirectory != null) {
                        b.hosts(List.of(socketDirectory.address()));
                    }
                })
                .applyToSocketSettings(b -> b.connectTimeout((int) timeoutMs, TimeUnit.MILLISECONDS)
                        .readTimeout((int) Math.max(10_000, 5 * timeoutMs), TimeUnit.MILLISECONDS))
                .build();
        this.client = MongoClients.create(clientSettings);
        this.db = client.getDatabase(cs.getDatabase() == null ? DEFAULT_DATABASE : cs.getDatabase());
        // Indexes now if the server is there; otherwise at the first successful contact. Quietly: the
        // first operation tries again and reports a failure, a command's in one line.
        try {
            ensureIndexes();
        } catch (MongoException e) {
            LOG.debug("no indexes yet at {}: {}", where, firstLine(e.getMessage()));
        }
    }

    /**
     * A store on an external MongoDB (a replica set shared by a fleet, for instance). Does not
     * fail when the server is down: the daemon's methods then serve from the cache.
     *
     * @throws IllegalArgumentException for a malformed URI
     */
    public static ProfileStore connect(String mongoUri) {
        return connect(mongoUri, StoreSettings.DEFAULT);
    }

    public static ProfileStore connect(String mongoUri, StoreSettings settings) {
        return new ProfileStore(mongoUri, redact(mongoUri), null, settings);
    }

    /** A store on the embedded server that another process runs on {@code dataDir}, as it published it. */
    public static ProfileStore connect(PublishedServer server, Path dataDir) {
        return new ProfileStore(server.uri(), "the embedded server of process " + server.pid() + " (" + server.uri()
                + ", data in " + dataDir + ")", null, StoreSettings.DEFAULT);
    }

    /**
     * A store on an embedded server started in this process, with its data in {@code dataDir}
     * (created if needed, kept across restarts; see {@link EmbeddedMongo}).
     *
     * @throws EmbeddedMongo.InUseException when another process has the data directory open
     * @throws IOException                   when the data directory cannot be used otherwise
     */
    public static ProfileStore embedded(Path dataDir) throws IOException {
        return embedded(dataDir, StoreSettings.DEFAULT);
    }

    public static ProfileStore embedded(Path dataDir, StoreSettings settings) throws IOException {
        EmbeddedMongo server = EmbeddedMongo.start(dataDir);
        try {
            return new ProfileStore(server.connectionString(), "embedded server (" + dataDir + ")", server, settings);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /**
     * The default data directory of the embedded server, for the daemon and every command alike:
     * {@code $SMTCHECK_DATA_DIR} if set, else {@value #ROOT_DATA_DIR} for root (the daemon's), else
     * {@code ${XDG_DATA_HOME:-~/.local/share}/smtcheck/profiles}.
     */
    public static Path defaultDataDir() {
        String env = System.getenv(DATA_DIR_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of(ROOT_DATA_DIR);
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("smtcheck").resolve("profiles");
    }

    public static final String DATA_DIR_ENV = "SMTCHECK_DATA_DIR";
    public static final String ROOT_DATA_DIR = "/var/lib/smtcheck";

    /** {@link #defaultDataDir()} in words, for --help. */
    public static final String DEFAULT_DATA_DIR_HELP = "$" + DATA_DIR_ENV + ", else " + ROOT_DATA_DIR
            + " for root, else ~/.local/share/smtcheck/profiles";

    /** The server, for messages: the URI without credentials, or the embedded server's directory. */
    public String where() {
        return where;
    }

    /** The URI the client uses (with credentials, if any: not for messages). */
    String connectionString() {
        return uri;
    }

    /**
     * The driver reaches unix sockets through jnr, whose first use builds its native bindings: on a
     * busy machine that takes longer than a connect timeout. Done here, before any timeout runs.
     */
    private static void loadUnixSockets() {
        try {
            jnr.unixsocket.UnixSocketChannel.open().close();
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.debug("cannot prepare unix sockets: {}", e.toString());
        }
    }

    /** Failed operations so far, and whether the last one succeeded. */
    public StoreHealth health() {
        return errors.health();
    }

    /** Whether the last contact with MongoDB succeeded. */
    public boolean available() {
        synchronized (circuit) {
            return !down;
        }
    }

    // ---- the daemon's methods: never throw on an outage ----

    /**
     * The profile of a job: from the cache when it is there, else from MongoDB (and then cached).
     * Empty when there is none, when its document is invalid (reported in {@link #skipped()}), or
     * when MongoDB is unreachable. Cached profiles are only replaced by {@link #refresh()}.
     */
    public Optional<Profile> profile(int jobId) {
        Profile cached = byJob.get(jobId);
        if (cached != null) {
            return Optional.of(cached);
        }
        return tryMongo("look up the profile of job " + jobId, () -> {
            Document doc = db.getCollection(PROFILES).find(eq("job_id", jobId)).first();
            if (doc == null) {
                return Optional.<Profile>empty();
            }
            Optional<Profile> p = parseProfile(doc, new ArrayList<>());
            p.ifPresent(x -> byJob.put(x.jobId(), x));
            return p;
        }).flatMap(x -> x);
    }

    /**
     * Reloads every profile from MongoDB into the cache. Returns false when MongoDB is
     * unreachable (the cache is kept).
     */
    public boolean refresh() {
        Optional<Loaded<Profile>> loaded = tryMongo("load the profiles", this::readProfiles);
        loaded.ifPresent(this::replaceCache);
        return loaded.isPresent();
    }

    /** Every valid profile, by job id: fresh from MongoDB when reachable, else the cache. */
    public List<Profile> profiles() {
        refresh();
        return all;
    }

    /**
     * The profiles whose process-match rule ({@link io.smtcheck.model.ProcessMatch}) matches a
     * process, ordered by job id. Uses the cache, reloading it first when it is older than
     * {@link StoreSettings#refreshInterval()} (and MongoDB is reachable).
     *
     * @param comm    {@code /proc/PID/comm} without the newline
     * @param cmdline {@code /proc/PID/cmdline} with NULs turned into single spaces
     */
    public List<Profile> matching(String comm, String cmdline) {
        if (!everLoaded || System.nanoTime() - loadedAtNanos > settings.refreshInterval().toNanos()) {
            refresh();
        }
        return all.stream().filter(p -> p.matches(comm, cmdline)).toList();
    }

    /**
     * Files a request to profile a job, idempotently: filing twice leaves one request (its count
     * and last time updated). When MongoDB is unreachable the request is queued in memory and
     * filed at the next successful contact.
     */
    public RequestOutcome requestProfiling(int jobId) {
        if (jobId < 0) {
            throw new IllegalArgumentException("job id " + jobId + " is negative");
        }
        Optional<Boolean> filed = tryMongo("file a profiling request for job " + jobId, () -> fileRequest(jobId));
        if (filed.isEmpty()) {
            queuedRequests.add(jobId);
            return RequestOutcome.QUEUED;
        }
        return filed.get() ? RequestOutcome.FILED : RequestOutcome.ALREADY_FILED;
    }

    /** Job ids whose profiling requests wait for MongoDB to come back. */
    public Set<Integer> queuedRequests() {
        return Set.copyOf(queuedRequests);
    }

    /** Documents skipped by the last full read of each kind, with the reasons. */
    public List<Skipped> skipped() {
        return skipped;
    }

    // ---- the commands' methods: retry, then throw StoreUnavailableException ----

    /**
     * Writes baselines (replacing by resource), profiles (replacing by job id; any pending
     * profiling request for the job is marked done) and samples (exact duplicates are not added
     * again). Idempotent. A profile whose name belongs to another job id is refused and listed in
     * {@link ImportResult#conflicts()}; the rest are written.
     */
    public ImportResult importData(Dataset data) {
        return strict("import", () -> {
            MongoCollection<Document> baselines = db.getCollection(BASELINES);
            for (Baseline b : data.baselines()) {
                Document doc = BsonJson.toDocument(DataJson.toJson(b)).append("updated_at", new Date());
                baselines.replaceOne(eq("resource", b.resource()), doc, new ReplaceOptions().upsert(true));
            }
            List<String> conflicts = new ArrayList<>();
            int profiles = 0;
            for (Profile p : data.profiles()) {
                try {
                    writeProfile(p);
                    profiles++;
                } catch (MongoWriteException e) {
                    if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                        throw e;
                    }
                    Document other = db.getCollection(PROFILES).find(eq("name", p.name())).first();
                    conflicts.add("profile " + p.label() + ": the name is already job "
                            + (other == null ? "?" : other.get("job_id")) + "'s");
                }
            }
            int added = 0;
            MongoCollection<Document> samples = db.getCollection(SAMPLES);
            for (CoRunSample s : data.samples()) {
                Document doc = BsonJson.toDocument(DataJson.toJson(s));
                Bson key = and(eq("job_a", s.jobA()), eq("job_b", s.jobB()), eq("slowdown_a", s.slowdownA()),
                        eq("slowdown_b", s.slowdownB()));
                if (samples.replaceOne(key, doc, new ReplaceOptions().upsert(true)).getUpsertedId() != null) {
                    added++;
                }
            }
            commit();
            return new ImportResult(data.baselines().size(), profiles, added, data.samples().size() - added,
                    List.copyOf(conflicts));
        });
    }

    /** Imports {@code data} only when there are no profiles yet (to seed a new store). */
    public Optional<ImportResult> importIfEmpty(Dataset data) {
        long count = strict("count the profiles", () -> db.getCollection(PROFILES).countDocuments());
        return count == 0 ? Optional.of(importData(data)) : Optional.empty();
    }

    /** Adds or replaces one profile, and marks any pending profiling request for its job done. */
    public void putProfile(Profile profile) {
        strict("write the profile of " + profile.label(), () -> {
            writeProfile(profile);
            commit();
            return null;
        });
    }

    /** Everything valid in the store; invalid documents are in {@link Export#skipped()}. */
    public Export exportData() {
        return strict("export", () -> {
            Loaded<Baseline> b = readAll(BASELINES, "resource", d -> DataJson.baseline(d, ""));
            Loaded<Profile> p = readProfiles();
            replaceCache(p);
            Loaded<CoRunSample> s = readAll(SAMPLES, null, d -> DataJson.sample(d, ""));
            List<Skipped> all = new ArrayList<>(b.skipped());
            all.addAll(p.skipped());
            all.addAll(s.skipped());
            return new Export(new Dataset(b.items(), p.items(), s.items()), List.copyOf(all));
        });
    }

    public Loaded<Baseline> baselines() {
        return strict("read the injector baselines", () -> readAll(BASELINES, "resource", d -> DataJson.baseline(d, "")));
    }

    /** Every valid profile, straight from MongoDB (for commands). */
    public Loaded<Profile> readAllProfiles() {
        return strict("read the profiles", () -> {
            Loaded<Profile> p = readProfiles();
            replaceCache(p);
            return p;
        });
    }

    public Loaded<CoRunSample> samples() {
        return strict("read the co-run samples", () -> readAll(SAMPLES, null, d -> DataJson.sample(d, "")));
    }

    /** The profiling requests not yet done, oldest first. */
    public List<ProfilingRequest> pendingProfilingRequests() {
        return profilingRequests().stream().filter(r -> "pending".equals(r.status())).toList();
    }

    /** The filed profiling requests, pending and done, oldest first. */
    public List<ProfilingRequest> profilingRequests() {
        return strict("read the profiling requests", () -> {
            List<ProfilingRequest> out = new ArrayList<>();
            for (Document d : db.getCollection(REQUESTS).find().sort(Indexes.ascending("first_requested_at"))) {
                Object job = d.get("job_id");
                if (!(job instanceof Number n)) {
                    continue;
                }
                out.add(new ProfilingRequest(n.intValue(), String.valueOf(d.get("status")), instant(d.get("first_requested_at")),
                        instant(d.get("last_requested_at")), d.get("requests") instanceof Number c ? c.intValue() : 1));
            }
            return out;
        });
    }

    /**
     * Profiling's journal: every measurement recorded under {@code group} (a run's identity, such as
     * a machine's baselines or one job's profile), by key.
     */
    public Map<String, JsonNode> measurements(String group) {
        return strict("read the measurements of " + group, () -> {
            Map<String, JsonNode> out = new java.util.TreeMap<>();
            for (Document d : db.getCollection(MEASUREMENTS).find(eq("group", group))) {
                if (d.get("key") instanceof String key && d.get("value") instanceof Document value) {
                    out.put(key, BsonJson.toTree(value, Set.of()));
                }
            }
            return out;
        });
    }

    /** Records (or replaces) one measurement, durably. */
    public void putMeasurement(String group, String key, ObjectNode value) {
        strict("record a measurement of " + group, () -> {
            Document doc = new Document("group", group).append("key", key).append("value", BsonJson.toDocument(value))
                    .append("measured_at", new Date());
            db.getCollection(MEASUREMENTS).replaceOne(and(eq("group", group), eq("key", key)), doc,
                    new ReplaceOptions().upsert(true));
            commit();
            return null;
        });
    }

    /** Forgets every measurement of {@code group}; returns how many there were. */
    public long forgetMeasurements(String group) {
        return strict("forget the measurements of " + group, () -> {
            long n = db.getCollection(MEASUREMENTS).deleteMany(eq("group", group)).getDeletedCount();
            commit();
            return n;
        });
    }

    /** Closes the client and, in embedded mode, commits and stops the server. Idempotent. */
    @Override
    public void close() {
        synchronized (circuit) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            client.close();
        } finally {
            if (socketDirectory != null) {
                socketDirectory.close();
            }
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    // ---- internals ----

    /** True when the request is new, or reopened because its job was profiled and has lost its profile since. */
    private boolean fileRequest(int jobId) {
        Date now = new Date();
        Bson update = Updates.combine(Updates.set("status", "pending"),
                Updates.setOnInsert("first_requested_at", now), Updates.set("last_requested_at", now),
                Updates.inc("requests", 1));
        try {
            Document before = db.getCollection(REQUESTS).findOneAndUpdate(eq("job_id", jobId), update,
                    new FindOneAndUpdateOptions().upsert(true));
            commit();
            return before == null || !"pending".equals(before.get("status"));
        } catch (MongoWriteException e) {
            // Another daemon filed it between our look and our insert.
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                return false;
            }
            throw e;
        }
    }

    private void writeProfile(Profile p) {
        ObjectNode json = DataJson.toJson(p);
        Document doc = BsonJson.toDocument(json).append("updated_at", new Date());
        db.getCollection(PROFILES).replaceOne(eq("job_id", p.jobId()), doc, new ReplaceOptions().upsert(true));
        db.getCollection(REQUESTS).updateOne(and(eq("job_id", p.jobId()), eq("status", "pending")),
                Updates.combine(Updates.set("status", "done"), Updates.set("done_at", new Date())));
        byJob.put(p.jobId(), p);
    }

    private Loaded<Profile> readProfiles() {
        List<Profile> out = new ArrayList<>();
        List<Skipped> bad = new ArrayList<>();
        for (Document d : db.getCollection(PROFILES).find()) {
            parseProfile(d, bad).ifPresent(out::add);
        }
        out.sort(Comparator.comparingInt(Profile::jobId));
        return new Loaded<>(List.copyOf(out), List.copyOf(bad));
    }

    private Optional<Profile> parseProfile(Document d, List<Skipped> bad) {
        try {
            return Optional.of(DataJson.profile(BsonJson.toTree(d, STORE_FIELDS), ""));
        } catch (InvalidDataException e) {
            report(new Skipped(PROFILES, describe(d, "job_id"), e.getMessage()));
            bad.add(new Skipped(PROFILES, describe(d, "job_id"), e.getMessage()));
            return Optional.empty();
        }
    }

    private <T> Loaded<T> readAll(String collection, String sortField,
            Function<JsonNode, T> parse) {
        List<T> out = new ArrayList<>();
        List<Skipped> bad = new ArrayList<>();
        var find = db.getCollection(collection).find();
        if (sortField != null) {
            find = find.sort(Indexes.ascending(sortField));
        }
        for (Document d : find) {
            try {
                out.add(parse.apply(BsonJson.toTree(d, STORE_FIELDS)));
            } catch (InvalidDataException e) {
                Skipped s = new Skipped(collection, describe(d, sortField), e.getMessage());
                report(s);
                bad.add(s);
            }
        }
        return new Loaded<>(List.copyOf(out), List.copyOf(bad));
    }

    private void replaceCache(Loaded<Profile> loaded) {
        Map<Integer, Profile> fresh = new java.util.HashMap<>();
        loaded.items().forEach(p -> fresh.put(p.jobId(), p));
        byJob.keySet().retainAll(fresh.keySet());
        byJob.putAll(fresh);
        all = loaded.items();
        skipped = loaded.skipped();
        loadedAtNanos = System.nanoTime();
        everLoaded = true;
    }

    private void report(Skipped s) {
        if (reportedSkips.add(s.toString())) {
            LOG.warn("skipping an invalid document in {}: {}", s.collection(), s.id() + ": " + s.reason());
        }
    }

    private static String describe(Document d, String keyField) {
        Object key = keyField == null ? null : d.get(keyField);
        Object id = d.get("_id");
        return (key != null ? keyField + " " + key : "") + (id != null ? (key != null ? ", " : "") + "_id " + id : "");
    }

    private static Instant instant(Object o) {
        return o instanceof Date d ? d.toInstant() : null;
    }

    private void commit() {
        if (embedded != null && !embedded.commit()) {
            throw new CommitFailedException("the write was not saved to " + embedded.dataDir().resolve(EmbeddedMongo.FILE_NAME)
                    + " (" + embedded.health().lastError() + ")");
        }
    }

    private void ensureIndexes() {
        if (indexesReady) {
            return;
        }
        IndexOptions unique = new IndexOptions().unique(true);
        db.getCollection(PROFILES).createIndex(Indexes.ascending("job_id"), unique);
        db.getCollection(PROFILES).createIndex(Indexes.ascending("name"), unique);
        db.getCollection(BASELINES).createIndex(Indexes.ascending("resource"), unique);
        db.getCollection(REQUESTS).createIndex(Indexes.ascending("job_id"), unique);
        db.getCollection(MEASUREMENTS).createIndex(Indexes.ascending("group", "key"), unique);
        db.getCollection(SAMPLES).createIndex(
                Indexes.ascending("job_a", "job_b", "slowdown_a", "slowdown_b"), unique);
        commit();
        indexesReady = true;
    }

    /** One attempt, unless a recent failure says to wait; empty when MongoDB did not answer. */
    private <T> Optional<T> tryMongo(String what, Supplier<T> op) {
        synchronized (circuit) {
            if (closed) {
                return Optional.empty();
            }
            if (down && System.nanoTime() < nextAttemptNanos) {
                return Optional.empty();
            }
        }
        try {
            ensureIndexes();
            T result = op.get();
            succeeded();
            return Optional.of(result);
        } catch (MongoException e) {
            if (isOutage(e)) {
                failed(what, e);
            } else {
                refused(what, e);
            }
            return Optional.empty();
        } catch (CommitFailedException e) {
            refused(what, e);
            return Optional.empty();
        } catch (IllegalStateException e) {
            // The client was closed under us: the store is shutting down.
            return Optional.empty();
        }
    }

    /** Up to {@link StoreSettings#attempts()} attempts with backoff between them. */
    private <T> T strict(String what, Supplier<T> op) {
        MongoException last = null;
        for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
            try {
                ensureIndexes();
                T result = op.get();
                succeeded();
                return result;
            } catch (CommitFailedException e) {
                errors.failed(what, e); // counted; the exception says it
                throw new StoreUnavailableException("MongoDB at " + where + " could not " + what + ": " + e.getMessage(), e);
            } catch (MongoException e) {
                if (StoreAccessDeniedException.causedBy(e)) {
                    errors.failed(what, e);
                    throw new StoreAccessDeniedException(StoreAccessDeniedException.denied(where), e);
                }
                if (!isOutage(e)) {
                    errors.failed(what, e);
                    throw new StoreUnavailableException("MongoDB at " + where + " refused to " + what + ": "
                            + firstLine(e.getMessage()), e);
                }
                last = e;
                Duration pause = failed(what, e);
                if (attempt < settings.attempts()) {
                    sleep(pause);
                }
            }
        }
        throw new StoreUnavailableException("MongoDB at " + where + " is unreachable (tried to " + what + " "
                + settings.attempts() + " times): " + firstLine(last.getMessage()), last);
    }

    private void succeeded() {
        synchronized (circuit) {
            down = false;
            backoff = settings.firstBackoff();
        }
        errors.succeeded(); // logs the recovery
        flushQueuedRequests();
    }

    /** The server answered with an error (or the embedded one could not save a write). */
    private void refused(String what, RuntimeException e) {
        if (errors.failed(what, e)) {
            LOG.warn("MongoDB at {} refused to {}: {}", where, what, firstLine(e.getMessage()));
        }
    }

    private Duration failed(String what, MongoException e) {
        Duration pause;
        boolean first;
        synchronized (circuit) {
            first = !down;
            pause = down ? min(backoff.multipliedBy(2), settings.maxBackoff()) : settings.firstBackoff();
            backoff = pause;
            down = true;
            nextAttemptNanos = System.nanoTime() + pause.toNanos();
        }
        if (errors.failed(what, e) || first) {
            LOG.warn("MongoDB at {} is unreachable ({}: {}); serving {} cached profiles, retrying with backoff",
                    where, what, firstLine(e.getMessage()), all.size());
        } else {
            LOG.debug("MongoDB at {} still unreachable ({}); next try in {} ms", where, what, pause.toMillis());
        }
        return pause;
    }

    private void flushQueuedRequests() {
        for (Integer job : List.copyOf(queuedRequests)) {
            try {
                fileRequest(job);
                queuedRequests.remove(job);
                LOG.info("filed the profiling request for job {} queued while MongoDB was unreachable", job);
            } catch (MongoException | CommitFailedException e) {
                return;
            }
        }
    }

    private static boolean isOutage(MongoException e) {
        // A server that answered with an error is not an outage; anything else (timeouts, sockets,
        // no server selectable) is.
        return !(e instanceof MongoServerException);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** The URI without its password, for messages and logs. */
    static String redact(String uri) {
        return uri == null ? "null" : uri.replaceFirst("^([A-Za-z0-9+.-]+://[^:/@]*):[^@/]*@", "$1:***@");
    }
}
