// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

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

/**
 * The figures of BENCHMARKS.md "A starting daemon's read of observed samples": on an embedded
 * store holding SIZES samples of one machine, one every 30 s, the time of the read a starting
 * daemon makes (the newest 20 000 of the last 7 days), REPEATS times each; prints each size's
 * median, with the sizes side by side in one run.
 *
 * <p>Run: {@code mvn -B -ntp -o -q test-compile && java -cp "target/classes:target/test-classes:$(cat cp.txt)"
 * io.smtcheck.profiles.ObservedReadBenchmark [REPEATS SIZES...]} (defaults 7 2000 20000), after
 * {@code mvn -B -ntp -o -q dependency:build-classpath -Dmdep.outputFile=cp.txt}.
 */
public final class ObservedReadBenchmark {
    private static final int NEWEST = 20_000;
    private static final long WEEK_SECONDS = 7 * 86_400;

    private ObservedReadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int[] sizes = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {2_000, 20_000};
        for (int size : sizes) {
            Path dir = Files.createTempDirectory("observed-read");
            try (ProfileStore store = ProfileStore.embedded(dir)) {
                Instant now = Instant.now();
                fill(store, size, now);
                double[] seconds = new double[repeats];
                int read = 0;
                for (int r = 0; r < repeats; r++) {
                    long start = System.nanoTime();
                    read = store.recentObservedSamples("m1", now.minusSeconds(WEEK_SECONDS), now, NEWEST).items().size();
                    seconds[r] = (System.nanoTime() - start) / 1e9;
                }
                Arrays.sort(seconds);
                System.out.printf(Locale.ROOT, "%d stored, %d read: median %.3f s (min %.3f, max %.3f) over %d reads%n",
                        size, read, seconds[repeats / 2], seconds[0], seconds[repeats - 1], repeats);
            }
        }
    }

    /** Writes the samples as documents in bulk: the daemon's one-by-one upserts would take long for a test store. */
    private static void fill(ProfileStore store, int size, Instant now) {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            ObservedSample s = new ObservedSample("m1", 100 + i % 20, 200 + i % 20, 0.2, 0.1, 600,
                    now.minusSeconds(30L * i + 1));
            docs.add(BsonJson.toDocument(DataJson.toJson(s)));
        }
        store.gateway().run(MongoGateway.Patience.RETRY, "fill the store", db -> {
            db.getCollection(ObservedCollection.NAME).insertMany(docs);
            store.gateway().commit();
            return null;
        });
    }
}
