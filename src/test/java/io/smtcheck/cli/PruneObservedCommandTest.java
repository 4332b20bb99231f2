// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.model.ObservedSample;
import io.smtcheck.profiles.ProfileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** profiles prune-observed on the real embedded store: what it removes, a dry run, --machine, bad ages. */
class PruneObservedCommandTest {
    @TempDir
    Path dir;

    private static ObservedSample sample(String machine, Instant at) {
        return new ObservedSample(machine, 101, 102, 0.25, 0.125, 60, at);
    }

    private Set<ObservedSample> stored(Path data) throws Exception {
        try (ProfileStore s = ProfileStore.embedded(data)) {
            return Set.copyOf(s.observedSamples().items());
        }
    }

    @Test
    void removesWhatIsOlderThanTheDaysGivenOrSaysWhatItWould() throws Exception {
        Path data = dir.resolve("data");
        Instant now = Instant.now();
        ObservedSample old1 = sample("m1", now.minus(Duration.ofDays(30)));
        ObservedSample old2 = sample("m1", now.minus(Duration.ofDays(8)));
        ObservedSample recent = sample("m1", now.minus(Duration.ofDays(6)));
        ObservedSample otherOld = sample("m2", now.minus(Duration.ofDays(9)));
        try (ProfileStore s = ProfileStore.embedded(data)) {
            assertEquals(4, s.addObservedSamples(List.of(old1, old2, recent, otherOld)));
        }
        String d = data.toString();

        CliRun dry = CliRun.of("profiles", "prune-observed", "--older-than", "7", "--dry-run", "--data-dir", d);
        assertEquals(0, dry.code(), dry.err());
        assertTrue(dry.out().startsWith("would remove 3 observed samples older than 7 days from "), dry.out());
        assertEquals(Set.of(old1, old2, recent, otherOld), stored(data));

        CliRun one = CliRun.of("profiles", "prune-observed", "--older-than", "7", "--machine", "m1", "--json",
                "--data-dir", d);
        assertEquals(0, one.code(), one.err());
        JsonNode j = new ObjectMapper().readTree(one.out());
        assertEquals(2, j.get("removed").asLong(), one.out());
        assertEquals(false, j.get("dryRun").asBoolean());
        assertEquals(7, j.get("olderThanDays").asInt());
        assertEquals("m1", j.get("machine").asText());
        assertEquals(Set.of(recent, otherOld), stored(data));

        CliRun rest = CliRun.of("profiles", "prune-observed", "--older-than", "5", "--data-dir", d);
        assertEquals(0, rest.code(), rest.err());
        assertTrue(rest.out().startsWith("removed 2 observed samples older than 5 days from "), rest.out());
        assertEquals(Set.of(), stored(data));
    }

    @Test
    void refusesAnAgeThatIsNotPositiveAndADataDirThatDoesNotExist() {
        Path missing = dir.resolve("nowhere");
        for (String days : List.of("0", "-3")) {
            CliRun r = CliRun.of("profiles", "prune-observed", "--older-than", days, "--data-dir", missing.toString());
            assertEquals(ExitCodes.USAGE, r.code(), r.err());
            assertEquals("--older-than: " + days + " is not a number of days of 1 or more", r.err().lines().findFirst()
                    .orElseThrow(), r.err());
        }
        CliRun none = CliRun.of("profiles", "prune-observed", "--data-dir", missing.toString());
        assertEquals(ExitCodes.USAGE, none.code(), none.err());
        CliRun nowhere = CliRun.of("profiles", "prune-observed", "--older-than", "7", "--data-dir", missing.toString());
        assertEquals(ExitCodes.USAGE, nowhere.code(), nowhere.err());
        assertTrue(nowhere.err().startsWith("--data-dir " + missing + ": no such directory"), nowhere.err());
        assertTrue(Files.notExists(missing), "a prune created the store");
    }
}
