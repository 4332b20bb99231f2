// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.UpdateOptions;
import java.util.List;
import java.util.Map;
import org.bson.Document;

/**
 * Writes documents into a store in the original SMTcheck's schema through the driver, the way its
 * profiling server's database manager and its combination measurement write them (upserts keyed
 * as there), plus a test data set: three resources, two jobs.
 */
public final class OriginalStoreWriter implements AutoCloseable {
    public static final String NODE = "intel-gen11";
    /** The original's feature ids and types (0 sequential, 1 parallel, 2 port) of its target features. */
    private static final Map<String, int[]> FEATURE = Map.of("int_port", new int[] {1, 2}, "int_isq", new int[] {2, 0},
            "fp_port", new int[] {3, 2}, "load_isq", new int[] {5, 0}, "l1_dcache", new int[] {6, 1},
            "l2_cache", new int[] {7, 1}, "l1_dtlb", new int[] {8, 1});
    /** The machine description of the test data: int_isq as on the original's example machine. */
    public static final String MACHINE_JSON = "{\"medium_ratio\": 0.8, \"sequential\": {\"int_isq\": {\"size\": 75, \"watermark\": 6}}}";

    private final MongoClient client;
    private final MongoDatabase db;

    /** @param serverUri a server's URI without a database */
    public OriginalStoreWriter(String serverUri) {
        this.client = MongoClients.create(serverUri);
        this.db = client.getDatabase(OriginalProfileData.DATABASE);
    }

    /** The URI of the original's database on {@code serverUri}. */
    public static String uri(String serverUri) {
        return serverUri + "/" + OriginalProfileData.DATABASE;
    }

    public MongoDatabase db() {
        return db;
    }

    /** One IPC measurement of {@code node}. */
    public void sendData(String node, String feature, int job, int pressure, String runType, Object ipc) {
        int[] f = FEATURE.getOrDefault(feature, new int[] {-1, -1});
        Document data = new Document("timestamp", (int) (System.currentTimeMillis() / 1000)).append("node_name", node)
                .append("feature", feature).append("feature_id", f[0]).append("feature_type", f[1])
                .append("global_jobid", job).append("pressure", pressure).append("run_type", runType).append("IPC", ipc);
        Document filter = new Document("node_name", node).append("feature", feature).append("feature_id", f[0])
                .append("feature_type", f[1]).append("global_jobid", job).append("pressure", pressure)
                .append("run_type", runType);
        db.getCollection("measurement").updateOne(filter, new Document("$set", data), new UpdateOptions().upsert(true));
    }

    public void sendData(String feature, int job, int pressure, String runType, Object ipc) {
        sendData(NODE, feature, job, pressure, runType, ipc);
    }

    /** The record that a job's profiling finished. */
    public void sendDone(int job) {
        db.getCollection("timestamp").updateOne(new Document("global_jobid", job), new Document("$set",
                new Document("global_jobid", job).append("timestamp", (int) (System.currentTimeMillis() / 1000))),
                new UpdateOptions().upsert(true));
    }

    /** The node's combination document. */
    public void combination(String node, Map<String, Map<String, Object>> data) {
        db.getCollection("combination").updateOne(new Document("node_name", node),
                new Document("$set", new Document("node_name", node).append("data", new Document(
                        data.entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
                                e -> (Object) new Document(e.getValue())))))),
                new UpdateOptions().upsert(true));
    }

    /** The injectors' baselines of int_port, int_isq and l1_dcache. */
    public void baselines() {
        sendData("int_port", -1, 0, "injector", 3.0);
        sendData("int_isq", -1, 0, "injector", 2.0);
        sendData("int_isq", -1, 1, "injector", 1.9);
        sendData("int_isq", -1, 2, "injector", 1.7);
        sendData("l1_dcache", -1, 0, "injector", 2.0);
        sendData("l1_dcache", -1, 1, "injector", 1.2);
        sendData("l1_dcache", -2, 0, "injector", 1.9);
        sendData("l1_dcache", -2, 1, "injector", 1.3);
        sendData("l1_dcache", -3, 0, "injector", 1.8);
        sendData("l1_dcache", -3, 1, "injector", 1.0);
    }

    /** What the profiling server writes for job 0, then its completion record. */
    public void job0() {
        jobLike0(0);
    }

    /** Job 0's measurements under another job id, then its completion record. */
    public void jobLike0(int id) {
        sendData("single", id, 0, "workload", 1.2);
        sendData("l3_cache", id, 0, "workload", 0.9);
        sendData("int_port", id, 0, "workload", 1.0);
        sendData("int_port", id, 0, "injector", 2.1);
        for (Object[] r : List.of(new Object[] {0, 1.0, 1.5}, new Object[] {1, 0.9, 1.4}, new Object[] {2, 0.6, 1.3})) {
            sendData("int_isq", id, (int) r[0], "workload", r[1]);
            sendData("int_isq", id, (int) r[0], "injector", r[2]);
        }
        sendData("l1_dcache", id, 0, "workload", 1.1);
        sendData("l1_dcache", id, 0, "injector", 1.6);
        sendData("l1_dcache", id, 1, "workload", 0.88);
        sendData("l1_dcache", id, 1, "injector", 1.4);
        sendDone(id);
    }

    /** Job 1's measurements; its completion record only when {@code done}. */
    public void job1(boolean done) {
        sendData("single", 1, 0, "workload", 2.0);
        sendData("l3_cache", 1, 0, "workload", 1.9);
        sendData("int_port", 1, 0, "workload", 1.5);
        sendData("int_port", 1, 0, "injector", 2.4);
        for (Object[] r : List.of(new Object[] {0, 1.8, 1.2}, new Object[] {1, 1.7, 1.1}, new Object[] {2, 1.2, 1.0})) {
            sendData("int_isq", 1, (int) r[0], "workload", r[1]);
            sendData("int_isq", 1, (int) r[0], "injector", r[2]);
        }
        sendData("l1_dcache", 1, 0, "workload", 1.9);
        sendData("l1_dcache", 1, 0, "injector", 1.0);
        sendData("l1_dcache", 1, 1, "workload", 1.5);
        sendData("l1_dcache", 1, 1, "injector", 1.1);
        if (done) {
            sendDone(1);
        }
    }

    /** The co-runs of jobs 0 and 1 (and each beside itself), with their solo IPC. */
    public void combination() {
        combination(NODE, Map.of("0", Map.of("single", 1.25, "0", 0.8, "1", 0.9),
                "1", Map.of("single", 2.1, "0", 1.6, "1", 1.7)));
    }

    /** Everything: baselines, both jobs profiled, their co-runs. */
    public void all() {
        baselines();
        job0();
        job1(true);
        combination();
    }

    @Override
    public void close() {
        client.close();
    }
}
