// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.model.Baseline;
import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.Profile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The profile store as commands use it: workload profiles, injector baselines, profiling requests,
 * co-run samples, the daemon's observed samples and profiling's measurements in MongoDB (database {@value #DEFAULT_DATABASE}
 * unless the URI names one), one collection class each, all through one {@link MongoGateway},
 * which this store owns and {@link #close() closes}. Every method makes
 * {@link StoreSettings#attempts()} attempts, then throws {@link StoreUnavailableException}. A
 * document that does not validate is skipped, reported in what a read returns and logged once; it
 * never fails a read. The daemon reads through its own profile source on {@link #gateway()}, which
 * never throws. A store whose database is the original SMTcheck's ({@value OriginalProfileData#DATABASE})
 * is read as that one is ({@link OriginalProfileData}) and never written. Thread-safe.
 */
public final class ProfileStore implements AutoCloseable {
    public static final String DEFAULT_DATABASE = "smtcheck";

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

    /**
     * What an import did.
     *
     * @param conflicts entries refused by the database (a profile name taken by another job id),
     *                  one line each
     */
    public record ImportResult(int baselines, int profiles, int samplesAdded, int samplesAlreadyThere,
            List<String> conflicts) {
    }

    private static final MongoGateway.Patience RETRY = MongoGateway.Patience.RETRY;

    private final MongoGateway gateway;
    private final ProfileCollection profiles;
    private final BaselineCollection baselines;
    private final SampleCollection samples;
    private final MeasurementCollection measurements;
    private final ObservedCollection observed;
    /** The original SMTcheck's data, when the database is its; else null. */
    private final OriginalProfileData original;
    private final OriginalProfileData.Options originalOptions;

    private ProfileStore(MongoGateway gateway, OriginalProfileData.Options originalOptions) {
        this.gateway = gateway;
        this.originalOptions = originalOptions;
        this.original = OriginalProfileData.isOriginal(gateway.databaseName())
                ? new OriginalProfileData(gateway, RETRY, originalOptions) : null;
        this.profiles = new ProfileCollection(gateway, RETRY);
        this.baselines = new BaselineCollection(gateway, RETRY);
        this.samples = new SampleCollection(gateway, RETRY);
        this.measurements = new MeasurementCollection(gateway, RETRY);
        this.observed = new ObservedCollection(gateway, RETRY);
    }

    /**
     * A store on an external MongoDB (a replica set shared by a fleet, for instance). Does not
     * fail when the server is down: operations then retry and fail.
     *
     * @throws IllegalArgumentException for a malformed URI
     */
    public static ProfileStore connect(String mongoUri) {
        return connect(mongoUri, StoreSettings.DEFAULT);
    }

    public static ProfileStore connect(String mongoUri, StoreSettings settings) {
        return connect(mongoUri, settings, OriginalProfileData.Options.NONE);
    }

    /** A store on an external MongoDB; {@code original} says how to read it when it is the original SMTcheck's. */
    public static ProfileStore connect(String mongoUri, StoreSettings settings, OriginalProfileData.Options original) {
        return new ProfileStore(MongoGateway.connect(mongoUri, settings), original);
    }

    /** A store on the embedded server that another process runs on {@code dataDir}, as it published it. */
    public static ProfileStore connect(PublishedServer server, Path dataDir) {
        return new ProfileStore(MongoGateway.connect(server, dataDir), OriginalProfileData.Options.NONE);
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
        return new ProfileStore(MongoGateway.embedded(dataDir, settings), OriginalProfileData.Options.NONE);
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
        return gateway.where();
    }

    /** The URI the client uses (with credentials, if any: not for messages). */
    String connectionString() {
        return gateway.connectionString();
    }

    /** The connection this store owns, for the daemon's profile source. */
    public MongoGateway gateway() {
        return gateway;
    }

    /** Whether a store on {@code mongoUri} is the original SMTcheck's (its database is named so); false for a malformed URI. */
    public static boolean isOriginal(String mongoUri) {
        try {
            return OriginalProfileData.isOriginal(new com.mongodb.ConnectionString(mongoUri).getDatabase());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether this is the original SMTcheck's store, which is read and never written. */
    public boolean isOriginal() {
        return original != null;
    }

    /** Where the daemon reads profiles, with {@code patience}. */
    public ProfileReader profileReader(MongoGateway.Patience patience) {
        return original != null ? new OriginalProfileData(gateway, patience, originalOptions)
                : new ProfileCollection(gateway, patience);
    }

    /**
     * Where the daemon files profiling requests in the store itself: smtcheck's own request
     * collection. The original's store has none (its profiling server takes the requests): there, a
     * request is refused with the reason.
     */
    public ProfilingRequests profilingRequests(MongoGateway.Patience patience) {
        if (original == null) {
            return new RequestCollection(gateway, patience);
        }
        return job -> {
            throw new IllegalArgumentException("job " + job + " has no profile in the original SMTcheck's store at "
                    + where() + ", and no --profiling-server is given to profile it");
        };
    }

    /**
     * Refuses (StoreReadOnlyException) a store that cannot be written, the original SMTcheck's:
     * for commands that write, before they measure anything.
     */
    public void requireWritable(String what) {
        if (original != null) {
            throw new StoreReadOnlyException(where(), what);
        }
    }

    /** Failed operations so far, and whether the last one succeeded. */
    public StoreHealth health() {
        return gateway.health();
    }

    /**
     * Writes baselines (replacing by resource), profiles (replacing by job id; any pending
     * profiling request for the job is marked done) and samples (exact duplicates are not added
     * again). Idempotent. A profile whose name belongs to another job id is refused and listed in
     * {@link ImportResult#conflicts()}; the rest are written.
     */
    public ImportResult importData(Dataset data) {
        requireWritable("import data");
        return gateway.run(RETRY, "import", db -> {
            data.baselines().forEach(b -> BaselineCollection.write(db, b));
            List<String> conflicts = new ArrayList<>();
            int written = 0;
            for (Profile p : data.profiles()) {
                Optional<String> conflict = ProfileCollection.write(db, p);
                if (conflict.isPresent()) {
                    conflicts.add(conflict.get());
                } else {
                    RequestCollection.markDone(db, p.jobId());
                    written++;
                }
            }
            int added = 0;
            for (CoRunSample s : data.samples()) {
                if (SampleCollection.add(db, s)) {
                    added++;
                }
            }
            gateway.commit();
            return new ImportResult(data.baselines().size(), written, added, data.samples().size() - added,
                    List.copyOf(conflicts));
        });
    }

    /** Imports {@code data} only when there are no profiles yet (to seed a new store). */
    public Optional<ImportResult> importIfEmpty(Dataset data) {
        requireWritable("import the sample profiles");
        return profiles.count() == 0 ? Optional.of(importData(data)) : Optional.empty();
    }

    /** Adds or replaces one profile, and marks any pending profiling request for its job done. */
    public void putProfile(Profile profile) {
        ImportResult r = importData(new Dataset(List.of(), List.of(profile), List.of()));
        if (!r.conflicts().isEmpty()) {
            throw new StoreUnavailableException("MongoDB at " + where() + " refused " + r.conflicts().get(0), null);
        }
    }

    /** Everything valid in the store; invalid documents are in {@link Export#skipped()}. */
    public Export exportData() {
        Loaded<Baseline> b = baselines();
        Loaded<Profile> p = readAllProfiles();
        Loaded<CoRunSample> s = samples();
        List<Skipped> all = new ArrayList<>(b.skipped());
        all.addAll(p.skipped());
        all.addAll(s.skipped());
        return new Export(new Dataset(b.items(), p.items(), s.items()), List.copyOf(all));
    }

    public Loaded<Baseline> baselines() {
        return original != null ? original.baselines() : baselines.readAll();
    }

    /** Every valid profile, by job id. */
    public Loaded<Profile> readAllProfiles() {
        return original != null ? original.readAll() : profiles.readAll();
    }

    public Loaded<CoRunSample> samples() {
        return original != null ? original.samples() : samples.readAll();
    }

    /**
     * The co-run slowdowns the daemon observed where jobs ran. The original SMTcheck's store has
     * none (it is never written): empty there.
     */
    public Loaded<ObservedSample> observedSamples() {
        return original != null ? new Loaded<>(List.of(), List.of()) : observed.readAll();
    }

    /**
     * The newest {@code newest} observed samples of {@code machine} that ended in [{@code from},
     * {@code before}), newest first, for a starting daemon. Not for the original SMTcheck's store,
     * which has none: see {@link #isOriginal()}.
     */
    public Loaded<ObservedSample> recentObservedSamples(String machine, Instant from, Instant before, int newest) {
        if (newest < 1) {
            throw new IllegalArgumentException("newest: " + newest + " is not 1 or more");
        }
        return original != null ? new Loaded<>(List.of(), List.of()) : observed.recent(machine, from, before, newest);
    }

    /** Records observed samples, durably; returns how many were new. */
    public int addObservedSamples(List<ObservedSample> samples) {
        requireWritable("record observed co-run slowdowns");
        return samples.isEmpty() ? 0 : observed.add(samples);
    }

    /**
     * Removes the observed samples that ended before the whole second {@code before} (those of
     * {@code machine} only unless it is null), or with {@code dryRun} only counts them; returns how
     * many. Refuses the original SMTcheck's store, which has none.
     */
    public long pruneObservedSamples(Instant before, String machine, boolean dryRun) {
        requireWritable("remove observed samples (it has none)");
        return observed.prune(before, machine, dryRun);
    }

    /**
     * Profiling's journal: every measurement recorded under {@code group} (a run's identity, such as
     * a machine's baselines or one job's profile), by key.
     */
    public Map<String, JsonNode> measurements(String group) {
        requireWritable("keep profiling's measurements");
        return measurements.of(group);
    }

    /** Records (or replaces) one measurement, durably. */
    public void putMeasurement(String group, String key, ObjectNode value) {
        requireWritable("keep profiling's measurements");
        measurements.put(group, key, value);
    }

    /** Forgets every measurement of {@code group}; returns how many there were. */
    public long forgetMeasurements(String group) {
        requireWritable("forget profiling's measurements");
        return measurements.forget(group);
    }

    /** Closes the client and, in embedded mode, commits and stops the server. Idempotent. */
    @Override
    public void close() {
        gateway.close();
    }

    /** The URI without its password, for messages and logs. */
    static String redact(String uri) {
        return MongoGateway.redact(uri);
    }
}
