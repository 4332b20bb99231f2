// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.smtcheck.control.ControlClient;
import io.smtcheck.profiling.Bench;
import io.smtcheck.profiling.Progress;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Where {@code profile} and {@code corun} measure: the CPUs, the topology, the store, and the daemon to keep clear of. */
final class BenchOptions {
    @Option(names = "--cpus", paramLabel = "A,B", split = ",",
            description = "Two sibling CPUs of one core: the workload runs on A, injectors and co-runners on B."
                    + " Default: the last core with two hardware threads. On a machine without SMT, --topology \"0,1\""
                    + " treats two CPUs as one core (they then share only the caches and memory bandwidth a real"
                    + " core's threads share beyond its pipelines).")
    List<Integer> cpus;

    @Mixin
    TopologyOption topology;

    @Option(names = "--allow-managed-cpus",
            description = "Measure even on CPUs the running daemon manages (its pins would disturb the measurement,"
                    + " and the measurement its workloads).")
    boolean allowManagedCpus;

    @Option(names = "--socket", paramLabel = "PATH", defaultValue = DaemonClientCommand.DEFAULT_SOCKET,
            description = "The daemon's control socket, asked which CPUs it manages. Default: ${DEFAULT-VALUE}.")
    Path socket;

    @Mixin
    StoreOptions store;

    /** The topology to measure on. */
    Topology topology() {
        return topology.topology();
    }

    /**
     * Opens the bench after making sure the daemon does not manage its CPUs.
     *
     * @throws RefusedException when it does (and that was not allowed)
     */
    Bench open(ProfileStore s, Progress progress) throws IOException {
        Topology t = topology();
        Bench bench = Bench.open(s, t, cpus, progress);
        try {
            if (!allowManagedCpus) {
                refuseManaged(bench.cpus());
            }
            return bench;
        } catch (RuntimeException e) {
            bench.close();
            throw e;
        }
    }

    private void refuseManaged(List<Integer> used) {
        JsonNode answer;
        try {
            answer = ControlClient.request(socket, DaemonClientCommand.command("status"));
        } catch (ControlClient.NotRunningException e) {
            return;
        } catch (IOException e) {
            throw new RefusedException("cannot ask the daemon at " + socket + " which CPUs it manages ("
                    + e.getMessage() + "); pass --allow-managed-cpus if CPUs " + used + " are free");
        }
        JsonNode status = answer.path("result");
        if (!answer.path("ok").asBoolean() || status.path("dryRun").asBoolean()) {
            return;
        }
        List<Integer> managed = Topology.parse(status.path("topology").asText()).allCpus();
        List<Integer> clash = new ArrayList<>(used);
        clash.retainAll(managed);
        if (!clash.isEmpty()) {
            throw new RefusedException("CPUs " + clash + " are managed by the running daemon (pid "
                    + status.path("pid").asText() + ", topology " + status.path("topology").asText() + "): stop it, run it"
                    + " with a --topology that leaves them out, or pass --allow-managed-cpus");
        }
    }
}
