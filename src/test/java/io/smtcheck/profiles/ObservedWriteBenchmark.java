// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import com.mongodb.client.model.ReplaceOptions;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.ObservedSample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The figures of BENCHMARKS.md "Writing observed samples": SAMPLES samples written to a new
 * embedded store in batches of BATCH, three ways: the store's one bulk request per batch; one
 * upsert per sample keyed by {@code Filters.and} (as the store wrote them before); and one upsert
 * per sample keyed by a plain document (the bulk request's key), which tells the key's share from
 * the request's. Each batch is committed once; REPEATS rounds, the ways in a rotating order, a new
 * store each time. Prints each way's median and the ratios.
 *
 * <p>Run: {@code java -cp "target/classes:target/test-classes:$(cat cp.txt)"
 * io.smtcheck.profiles.ObservedWriteBenchmark [REPEATS SAMPLES BATCH]} (defaults 5 2000 2000).
 */
public final class ObservedWriteBenchmark {
    private enum Way {
        BULK("one bulk request"), AND_KEYED("one upsert each, $and key (before)"), PLAIN_KEYED("one upsert each, plain key");

        final String label;

        Way(String label) {
            this.label = label;
        }
    }

    private ObservedWriteBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : size;
        List<ObservedSample> samples = new ArrayList<>();
        Instant now = Instant.now();
        for (int i = 0; i < size; i++) {
            samples.add(new ObservedSample("m1", 100 + i % 20, 200 + i % 20, 0.2, 0.1, 600, now.minusSeconds(30L * i)));
        }
        Way[] ways = Way.values();
        double[][] seconds = new double[ways.length][repeats];
        for (int r = 0; r < repeats; r++) {
            // Rotate which goes first, so that none always meets a warmer JVM.
            for (int k = 0; k < ways.length; k++) {
                int w = (r + k) % ways.length;
                seconds[w][r] = time(samples, batch, ways[w]);
            }
        }
        System.out.printf(Locale.ROOT, "%d samples in batches of %d, %d runs each:%n", size, batch, repeats);
        double[] median = new double[ways.length];
        for (int w = 0; w < ways.length; w++) {
            Arrays.sort(seconds[w]);
            median[w] = seconds[w][repeats / 2];
            System.out.printf(Locale.ROOT, "  %s: median %.3f s (min %.3f, max %.3f)%n", ways[w].label, median[w],
                    seconds[w][0], seconds[w][repeats - 1]);
        }
        System.out.printf(Locale.ROOT, "  before / bulk: %.1f; plain-keyed one each / bulk: %.1f%n",
                median[Way.AND_KEYED.ordinal()] / median[Way.BULK.ordinal()],
                median[Way.PLAIN_KEYED.ordinal()] / median[Way.BULK.ordinal()]);
    }

    /** Seconds to write every sample to a new store, in batches, one way. */
    private static double time(List<ObservedSample> samples, int batch, Way way) throws Exception {
        Path dir = Files.createTempDirectory("observed-write");
        try (ProfileStore store = ProfileStore.embedded(dir)) {
            long start = System.nanoTime();
            int added = 0;
            for (int from = 0; from < samples.size(); from += batch) {
                List<ObservedSample> part = samples.subList(from, Math.min(samples.size(), from + batch));
                added += way == Way.BULK ? store.addObservedSamples(part) : oneByOne(store, part, way == Way.AND_KEYED);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (added != samples.size()) {
                throw new IllegalStateException(way.label + ": " + added + " written of " + samples.size());
            }
            return seconds;
        }
    }

    /** One upsert per sample, keyed by Filters.and (the former write) or by a plain document. */
    private static int oneByOne(ProfileStore store, List<ObservedSample> samples, boolean andKeyed) {
        return store.gateway().run(MongoGateway.Patience.RETRY, "record observed samples", db -> {
            int added = 0;
            for (ObservedSample s : samples) {
                Document doc = BsonJson.toDocument(DataJson.toJson(s));
                Bson key = andKeyed
                        ? and(eq("machine", s.machine()), eq("job_a", s.jobA()), eq("job_b", s.jobB()),
                                eq("at", s.at().toString()))
                        : new Document("machine", s.machine()).append("job_a", s.jobA()).append("job_b", s.jobB())
                                .append("at", s.at().toString());
                if (db.getCollection(ObservedCollection.NAME).replaceOne(key, doc, new ReplaceOptions().upsert(true))
                        .getUpsertedId() != null) {
                    added++;
                }
            }
            store.gateway().commit();
            return added;
        });
    }
}
