// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtcheck.sched.PairingInput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScoreTableTest {
    private record Instance(Profile profile, int workers) {
    }

    /** A table built from scratch, in the given order: the full computation. */
    private static ScoreTable full(PredictionModel m, List<String> order, Map<String, Instance> live) {
        ScoreTable t = new ScoreTable(m);
        for (String k : order) {
            t.put(k, live.get(k).profile(), live.get(k).workers());
        }
        return t;
    }

    private static void assertSameTable(ScoreTable expected, ScoreTable actual) {
        List<String> keys = actual.entries().stream().map(ScoreTable.Entry::key).toList();
        assertEquals(expected.size(), actual.size());
        for (String a : keys) {
            for (String b : keys) {
                assertEquals(expected.score(a, b), actual.score(a, b), 0.0, a + " with " + b);
            }
        }
        assertEquals(expected.solo(), actual.solo(), 1e-15);
    }

    @Test
    void incrementalEqualsFullAfterRandomAddRemove() {
        Random r = new Random(42);
        PredictionModel m = SyntheticDataset.trueModel();
        ScoreTable table = new ScoreTable(m);
        Map<String, Instance> live = new LinkedHashMap<>();
        int next = 0;
        for (int step = 0; step < 2000; step++) {
            int op = r.nextInt(10);
            if (op < 5 || live.isEmpty()) {
                String key = "pgid:" + next++;
                Profile p = r.nextInt(8) == 0 ? null : Fixtures.random(r, next, SyntheticDataset.RESOURCES);
                Instance inst = new Instance(p, 1 + r.nextInt(4));
                live.put(key, inst);
                table.put(key, inst.profile(), inst.workers());
            } else if (op < 9) {
                List<String> keys = new ArrayList<>(live.keySet());
                String key = keys.get(r.nextInt(keys.size()));
                live.remove(key);
                assertTrue(table.remove(key));
            } else {
                // Replace an instance's profile (it was profiled meanwhile).
                List<String> keys = new ArrayList<>(live.keySet());
                String key = keys.get(r.nextInt(keys.size()));
                Instance inst = new Instance(Fixtures.random(r, 9999, SyntheticDataset.RESOURCES), 1);
                live.put(key, inst);
                table.put(key, inst.profile(), inst.workers());
            }
            if (step % 97 == 0) {
                List<String> order = table.entries().stream().map(ScoreTable.Entry::key).toList();
                assertSameTable(full(m, order, live), table);
            }
        }
        List<String> order = table.entries().stream().map(ScoreTable.Entry::key).toList();
        assertSameTable(full(m, order, live), table);
        // And a model change recomputes everything as a fresh table would.
        PredictionModel other = new PredictionModel(SyntheticDataset.RESOURCES, new double[] {0.1, 0.2, 0.3, 0.4, 0.5, 0.6},
                0.05, Fixtures.training());
        table.setModel(other);
        assertSameTable(full(other, order, live), table);
    }

    @Test
    void unknownWorkloadsGetTheNeutralScore() {
        PredictionModel m = Fixtures.model();
        ScoreTable t = new ScoreTable(m);
        Profile a = Fixtures.profile(1, "a", 2.0, 1.8, new ResourceProfile(0.5, 0.4, 0.7, 0.2),
                new ResourceProfile(0.8, 0.3, 0.5, 0.1));
        t.put("pgid:1", a, 1);
        t.put("pgid:2", null, 1);
        t.put("pgid:3", new Profile(3, "partial", null, 1, 1, 1, Map.of("seq", new ResourceProfile(0, 0, 0, 0))), 2);
        assertEquals(ScoreTable.NEUTRAL_SCORE, t.score("pgid:1", "pgid:2"), 0.0);
        assertEquals(ScoreTable.NEUTRAL_SCORE, t.score("pgid:2", "pgid:2"), 0.0);
        assertEquals(ScoreTable.NEUTRAL_SCORE, t.score("pgid:1", "pgid:3"), 0.0);
        assertFalse(t.entry("pgid:2").scored());
        assertEquals("no profile", t.entry("pgid:2").unscoredReason());
        assertTrue(t.entry("pgid:3").unscoredReason().contains("has no data for the model's resource par"));
        // Solo: (0.9 * 1 + 1.0 * 1 + 1.0 * 2) / 4 threads.
        assertEquals((0.9 + 1.0 + 2.0) / 4, t.solo(), 1e-15);
        // Once profiled, the entry is scored in place.
        t.put("pgid:2", a, 1);
        assertTrue(t.entry("pgid:2").scored());
        assertEquals(t.score("pgid:1", "pgid:1"), t.score("pgid:1", "pgid:2"), 0.0);
    }

    @Test
    void exportsPlannerInput() {
        ScoreTable t = new ScoreTable(Fixtures.model());
        assertEquals(1.0, t.solo(), 0.0, "empty table");
        Random r = new Random(3);
        t.put("x", Fixtures.random(r, 1, Fixtures.TWO), 2);
        t.put("y", Fixtures.random(r, 2, Fixtures.TWO), 1);
        t.put("z", null, 1);
        assertTrue(t.remove("x"));
        assertFalse(t.remove("x"));
        PairingInput in = PairingInput.of(t);
        assertEquals(List.of("z", "y"), in.ids(), "the last entry moved into the removed slot");
        assertArrayEquals(new int[] {1, 1}, in.workers());
        assertEquals(t.score("y", "z"), in.score(0, 1), 0.0);
        assertEquals(t.solo(), in.solo(), 0.0);
    }

    @Test
    void badKeysAndWorkers() {
        ScoreTable t = new ScoreTable(Fixtures.model());
        assertThrows(IllegalArgumentException.class, () -> t.put(" ", null, 1));
        assertThrows(IllegalArgumentException.class, () -> t.put("k", null, 0));
        assertThrows(IllegalArgumentException.class, () -> t.score("k", "k"));
    }

    @Test
    void boardShowsScoresSoloAndNeutralEntries() {
        ScoreTable t = new ScoreTable(Fixtures.model());
        t.put("a", Fixtures.profile(1, "a", 2.0, 1.8, new ResourceProfile(0.5, 0.4, 0.7, 0.2),
                new ResourceProfile(0.8, 0.3, 0.5, 0.1)), 1);
        t.put("b", Fixtures.profile(2, "b", 1.0, 1.0, new ResourceProfile(0.6, 0.5, 0.6, 0.3),
                new ResourceProfile(0.2, 0.9, 0.4, 0.25)), 1);
        t.put("mystery", null, 1);
        String board = ScoreBoard.format(t);
        String[] lines = board.split("\n");
        assertEquals("               a        b  mystery", lines[0]);
        assertTrue(lines[1].startsWith("a        "), board);
        assertTrue(lines[1].contains("1.446"), board);
        assertTrue(board.contains("solo (one thread, idle sibling): 0.967"), board);
        assertTrue(board.contains("neutral 1.000 for mystery: no profile"), board);
    }

    @Test
    void anObservedPairBlendsItsSlowdownsByTheTimeObserved() {
        PredictionModel m = Fixtures.model();
        Random r = new Random(5);
        Profile a = Fixtures.random(r, 1, Fixtures.TWO);
        Profile b = Fixtures.random(r, 2, Fixtures.TWO);
        ScoreTable t = new ScoreTable(m);
        ObservedSlowdowns seen = new ObservedSlowdowns(300);
        t.learnFrom(seen);
        t.put("pgid:10", "job:1", a, 1);
        t.put("pgid:11", "job:2", b, 1);
        t.put("pgid:12", "job:3", null, 1);
        double predicted = t.score("pgid:10", "pgid:11");
        assertEquals(ScoreFormula.symbiotic(m, ScoreFormula.prepare(m, a), ScoreFormula.prepare(m, b)), predicted);

        seen.add("job:2", "job:1", 0.5, 0.25, 300); // b's slowdown first; 300 s: half observation
        assertTrue(t.rescore("job:1", "job:2") > 0);
        double pa = t.predictedSlowdown("pgid:10", "pgid:11");
        double pb = t.predictedSlowdown("pgid:11", "pgid:10");
        double expected = ScoreFormula.clamp01(a.scaleFactor() * (1 - (0.5 * pa + 0.5 * 0.25)))
                + ScoreFormula.clamp01(b.scaleFactor() * (1 - (0.5 * pb + 0.5 * 0.5)));
        assertEquals(expected, t.score("pgid:10", "pgid:11"), 1e-12);
        assertEquals(t.score("pgid:10", "pgid:11"), t.score("pgid:11", "pgid:10"));

        // Beside a workload without a profile, both sides are predicted at half speed; 2700 s weigh 0.9.
        seen.add("job:1", "job:3", 0.1, 0.3, 2700);
        t.rescore("job:1", "job:3");
        double half = ScoreTable.NEUTRAL_SLOWDOWN;
        assertEquals((1 - (0.1 * half + 0.9 * 0.1)) + (1 - (0.1 * half + 0.9 * 0.3)), t.score("pgid:10", "pgid:12"),
                1e-12);
        // Another instance of job 1 shares the job's observations; a pair never observed keeps its prediction.
        t.put("pgid:13", "job:1", a, 1);
        assertEquals(t.score("pgid:10", "pgid:11"), t.score("pgid:13", "pgid:11"));
        assertEquals(ScoreTable.NEUTRAL_SCORE, t.score("pgid:11", "pgid:12"));
        t.remove("pgid:10");
        assertEquals(expected, t.score("pgid:13", "pgid:11"), 1e-12);
    }
}
